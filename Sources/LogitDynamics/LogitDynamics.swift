// The umbrella module: `import LogitDynamics` brings in every public module of the package.
@_exported import LogitAnalysis
@_exported import LogitKernels
@_exported import VectorMath
@_exported import Configuration
@_exported import Diagnostics
@_exported import DenseNetworks
@_exported import OutputFormats
@_exported import Experiments
@_exported import Games
@_exported import PGLab
@_exported import PolicyLosses
@_exported import Reports
@_exported import RLVR
@_exported import SeededRandom
@_exported import SoftmaxCore
@_exported import TensorIO
