import Glibc

/// `ld_abi_version`: the version of this C ABI (bumped on any incompatible change of a
/// signature or an output layout). The Python package refuses a library of another version.
@_cdecl("ld_abi_version")
public func ld_abi_version() -> Int32 { 1 }

/// `ld_free`: releases a string the library returned (a JSON result); NULL is ignored.
@_cdecl("ld_free")
public func ld_free(_ pointer: UnsafeMutablePointer<CChar>?) { free(pointer) }
