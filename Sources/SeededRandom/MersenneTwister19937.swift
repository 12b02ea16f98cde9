/// The Mersenne Twister MT19937 (Matsumoto & Nishimura 1998), as torch's CPU generator seeds and
/// draws it, and `torch.randperm(n)` for the small `n` of a Clip-Cov step — so that a logged
/// trainer step seeded with `torch.manual_seed(s)` can be replayed token for token.
///
/// `randperm(n)`: start from `0, 1, …, n−1` and for `i` in `0 ..< n−1` swap element `i` with
/// element `i + (u mod (n − i))`, `u` the next 32-bit output (the procedure described in
/// `shared/fixtures/verl/README.md`, checked against the recorded permutations).
public struct MersenneTwister19937: Sendable {
  var state = [UInt32](repeating: 0, count: 624)
  var index = 624

  /// The generator after `seed` (the reference initialisation `x_i = 1812433253·(x_{i−1} ⊕
  /// (x_{i−1} ≫ 30)) + i`, from the low 32 bits of the seed).
  public init(seed: UInt64) {
    state[0] = UInt32(truncatingIfNeeded: seed)
    for i in 1..<624 {
      state[i] = 1_812_433_253 &* (state[i - 1] ^ (state[i - 1] >> 30)) &+ UInt32(i)
    }
  }

  /// The next tempered 32-bit output.
  public mutating func next() -> UInt32 {
    if index >= 624 { twist() }
    var y = state[index]
    index += 1
    y ^= y >> 11
    y ^= (y << 7) & 0x9D2C_5680
    y ^= (y << 15) & 0xEFC6_0000
    y ^= y >> 18
    return y
  }

  mutating func twist() {
    for i in 0..<624 {
      let y = (state[i] & 0x8000_0000) | (state[(i + 1) % 624] & 0x7FFF_FFFF)
      var v = state[(i + 397) % 624] ^ (y >> 1)
      if y & 1 != 0 { v ^= 0x9908_B0DF }
      state[i] = v
    }
    index = 0
  }

  /// `torch.randperm(n)` on a generator in this state.
  public mutating func randperm(_ n: Int) -> [Int] {
    var r = Array(0..<n)
    guard n > 1 else { return r }
    for i in 0..<(n - 1) {
      let z = Int(next() % UInt32(n - i))
      r.swapAt(i, i + z)
    }
    return r
  }
}
