/// `∂f/∂z_j` for every `j` by central differences `(f(z + h e_j) − f(z − h e_j)) / 2h`
/// (truncation `O(h²)`, rounding `~ε|f|/h`): the measured gradient that the experiments hold
/// closed forms against.
func centralDifferenceGradient(_ z: [Double], step h: Double, _ f: ([Double]) -> Double) -> [Double] {
  var x = z
  return (0..<z.count).map { j in
    x[j] = z[j] + h
    let up = f(x)
    x[j] = z[j] - h
    let down = f(x)
    x[j] = z[j]
    return (up - down) / (2 * h)
  }
}
