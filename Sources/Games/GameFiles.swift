import Foundation
import OutputFormats
import StrictJSON

/// Reading and writing games: the project's JSON (`{"name", "payoffs": {"player1": [[…]],
/// "player2": [[…]]}, "strategy_labels": {"player1": […], "player2": […]}}`, the schema of the
/// game fixtures) and Gambit's strategic-form `.nfg` text (version 1, `R` for rational payoffs,
/// both the payoff-list and the outcome-list bodies; two players).
public enum GameFiles {
  /// Reads a game from `.json` or `.nfg` (by extension).
  /// The largest game file read (64 MiB: a 1000×1000 game in text is about 20 MB).
  public static let maximumFileBytes = 64 << 20
  /// The largest game a file may declare, `m · n` pure profiles (as for random games).
  public static let maximumProfiles = 1_000_000

  /// Reads a game from `.json` or `.nfg` (by extension). Only regular files are read, at
  /// most ``maximumFileBytes``.
  public static func read(path: String) throws(GameError) -> NormalFormGame {
    let bytes: [UInt8]
    do { bytes = try UntrustedFile.read(path: path, limit: maximumFileBytes) } catch { throw GameError("\(error)") }
    if path.hasSuffix(".nfg") {
      guard let text = String(validating: bytes, as: UTF8.self) else { throw GameError("\(path) is not UTF-8 text") }
      return try parseNFG(text, source: path)
    }
    return try parseJSON(bytes, source: path)
  }

  /// A game from the JSON schema above, parsed strictly: payoffs are JSON numbers within
  /// `Double`'s range (`true`, `null`, `"1"` and `1e400` are errors naming the entry).
  public static func parseJSON(_ data: Data, source: String = "game") throws(GameError) -> NormalFormGame {
    try parseJSON([UInt8](data), source: source)
  }

  /// A game from the JSON schema above (see ``parseJSON(_:source:)-(Data,_)``).
  public static func parseJSON(_ bytes: [UInt8], source: String = "game") throws(GameError) -> NormalFormGame {
    let root: JSONNode
    do { root = try StrictJSON.parse(bytes, maxDepth: 8) } catch { throw GameError("\(source): not valid JSON: \(error)") }
    guard root.members != nil else { throw GameError("\(source) is not a JSON object (found \(root.brief))") }
    guard let payoffs = root["payoffs"], payoffs.members != nil else { throw GameError("\(source) has no \"payoffs\" object") }
    func matrix(_ key: String) throws(GameError) -> [[Double]] {
      guard let rows = payoffs[key]?.elements else { throw GameError("\(source): payoffs.\(key) must be a matrix of numbers") }
      var out: [[Double]] = []
      var profiles = 0
      for (i, row) in rows.enumerated() {
        guard let entries = row.elements else { throw GameError("\(source): payoffs.\(key)[\(i)] is \(row.brief), not a row of numbers") }
        profiles += entries.count
        guard profiles <= maximumProfiles else { throw GameError("\(source): payoffs.\(key) holds more than \(maximumProfiles) payoffs") }
        var r: [Double] = []
        for (j, v) in entries.enumerated() {
          guard let x = v.number?.finiteDouble else {
            throw GameError("\(source): payoffs.\(key)[\(i)][\(j)] is \(v.brief), not a finite number")
          }
          r.append(x)
        }
        out.append(r)
      }
      return out
    }
    var labels: [[String]]? = nil
    if let l = root["strategy_labels"] {
      func names(_ k: String) throws(GameError) -> [String] {
        guard let list = l[k]?.elements else { throw GameError("\(source): strategy_labels.\(k) must be a list of strings") }
        var out: [String] = []
        for (i, v) in list.enumerated() {
          guard let s = v.string else { throw GameError("\(source): strategy_labels.\(k)[\(i)] is \(v.brief), not a string") }
          out.append(s)
        }
        return out
      }
      labels = [try names("player1"), try names("player2")]
    }
    var name = "game"
    if let n = root["name"] {
      guard let s = n.string else { throw GameError("\(source): name is \(n.brief), not a string") }
      name = s
    }
    return try NormalFormGame(name: name, payoff1: try matrix("player1"), payoff2: try matrix("player2"), labels: labels)
  }

  /// The game as JSON (the schema above).
  public static func json(_ game: NormalFormGame) -> String {
    func row(_ r: [Double]) -> String { "[" + r.map { $0 == $0.rounded() && abs($0) < 1e15 ? String(Int64($0)) : "\($0)" }.joined(separator: ", ") + "]" }
    func matrix(_ m: [[Double]]) -> String { "[" + m.map(row).joined(separator: ", ") + "]" }
    func names(_ l: [String]) -> String { "[" + l.map(JSONValue.quote).joined(separator: ", ") + "]" }
    return """
      {
        "name": \(JSONValue.quote(game.name)),
        "payoffs": {"player1": \(matrix(game.payoff1)), "player2": \(matrix(game.payoff2))},
        "strategy_labels": {"player1": \(names(game.labels[0])), "player2": \(names(game.labels[1]))}
      }
      """
  }

  /// Tokens of an `.nfg` file: quoted strings (with `\"` escapes), braces, and bare words.
  static func tokens(_ text: String, source: String) throws(GameError) -> [String] {
    var out: [String] = []
    var i = text.startIndex
    while i < text.endIndex {
      let c = text[i]
      if c.isWhitespace { i = text.index(after: i); continue }
      if c == "{" || c == "}" { out.append(String(c)); i = text.index(after: i); continue }
      if c == "\"" {
        var s = "\""
        i = text.index(after: i)
        var closed = false
        while i < text.endIndex {
          let d = text[i]
          if d == "\\", text.index(after: i) < text.endIndex {
            s.append(text[text.index(after: i)])
            i = text.index(i, offsetBy: 2)
            continue
          }
          i = text.index(after: i)
          if d == "\"" { closed = true; break }
          s.append(d)
        }
        guard closed else { throw GameError("\(source): unterminated string") }
        out.append(s)
        continue
      }
      var word = ""
      while i < text.endIndex, !text[i].isWhitespace, text[i] != "{", text[i] != "}", text[i] != "\"" {
        word.append(text[i])
        i = text.index(after: i)
      }
      out.append(word)
    }
    return out
  }

  /// A number of an `.nfg` file: decimal or a rational `p/q`.
  static func number(_ s: String, source: String) throws(GameError) -> Double {
    if let v = Double(s), v.isFinite { return v }
    let parts = s.split(separator: "/")
    if parts.count == 2, let p = Double(parts[0]), let q = Double(parts[1]), q != 0 { return p / q }
    throw GameError("\(source): '\(s)' is not a payoff")
  }

  /// A game from Gambit's `.nfg` format:
  /// `NFG 1 R "title" { "Player 1" "Player 2" } { 2 2 }` (or `{ { "s1" "s2" } { … } }` with
  /// strategy names), then either the payoffs of every pure profile (player 1's strategy
  /// varying fastest, one payoff per player) or a list of outcomes `{ "name" p1, p2 }` followed
  /// by the outcome number (1-based, 0 = all zero) of every profile in the same order.
  public static func parseNFG(_ text: String, source: String = "game.nfg") throws(GameError) -> NormalFormGame {
    var t = try tokens(text, source: source)[...]
    func next() throws(GameError) -> String {
      guard let s = t.popFirst() else { throw GameError("\(source): the file ends too early") }
      return s
    }
    guard try next() == "NFG", try next() == "1" else { throw GameError("\(source): not a Gambit strategic-form file (expected 'NFG 1 R')") }
    let kind = try next()
    guard kind == "R" || kind == "D" else { throw GameError("\(source): unsupported number type '\(kind)'") }
    let title = try next()
    guard title.hasPrefix("\"") else { throw GameError("\(source): expected the game's title in quotes") }
    guard try next() == "{" else { throw GameError("\(source): expected '{' before the player names") }
    var players: [String] = []
    while let s = t.first, s != "}" { players.append(try next()) }
    _ = try next()
    guard players.count == 2 else { throw GameError("\(source): \(players.count) players; only two-player games are supported") }
    guard try next() == "{" else { throw GameError("\(source): expected '{' before the strategy counts") }
    var counts: [Int] = [], labels: [[String]] = []
    if t.first == "{" {
      for _ in 0..<2 {
        guard try next() == "{" else { throw GameError("\(source): expected '{' before strategy names") }
        var names: [String] = []
        while let s = t.first, s != "}" { names.append(String(try next().dropFirst())) }
        _ = try next()
        counts.append(names.count)
        labels.append(names)
      }
      guard try next() == "}" else { throw GameError("\(source): expected '}' after the strategy names") }
    } else {
      while let s = t.first, s != "}" {
        guard let c = Int(try next()), c >= 1 else { throw GameError("\(source): strategy counts must be whole numbers ≥ 1") }
        counts.append(c)
      }
      _ = try next()
    }
    guard counts.count == 2 else { throw GameError("\(source): expected 2 strategy counts, got \(counts.count)") }
    let (m, n) = (counts[0], counts[1])
    // Checked before anything is allocated: a 57-byte file may declare 10⁸ strategies.
    let (profiles, overflow) = m.multipliedReportingOverflow(by: n)
    guard !overflow, profiles <= maximumProfiles else {
      throw GameError("\(source): the game declares \(m)×\(n) strategies; at most \(maximumProfiles) pure profiles (m·n) are supported")
    }
    // An optional comment string.
    if let s = t.first, s.hasPrefix("\"") { _ = try next() }
    var a = [[Double]](repeating: [Double](repeating: 0, count: n), count: m), b = a
    if t.first == "{" {
      _ = try next()  // the list of outcomes
      var outcomes: [(Double, Double)] = []
      while t.first == "{" {
        _ = try next()
        if let s = t.first, s.hasPrefix("\"") { _ = try next() }
        var values: [Double] = []
        while let s = t.first, s != "}" {
          for piece in try next().split(separator: ",") where !piece.isEmpty { values.append(try number(String(piece), source: source)) }
        }
        _ = try next()
        guard values.count == 2 else { throw GameError("\(source): an outcome needs 2 payoffs, got \(values.count)") }
        outcomes.append((values[0], values[1]))
      }
      guard try next() == "}" else { throw GameError("\(source): expected '}' after the outcomes") }
      for k in 0..<(m * n) {
        guard let o = Int(try next()), o >= 0, o <= outcomes.count else { throw GameError("\(source): bad outcome number in profile \(k + 1)") }
        if o > 0 { (a[k % m][k / m], b[k % m][k / m]) = outcomes[o - 1] }
      }
    } else {
      for k in 0..<(m * n) {
        a[k % m][k / m] = try number(try next(), source: source)
        b[k % m][k / m] = try number(try next(), source: source)
      }
    }
    guard t.isEmpty else { throw GameError("\(source): unexpected text after the payoffs ('\(t.first!)')") }
    return try NormalFormGame(name: String(title.dropFirst()), payoff1: a, payoff2: b, labels: labels.isEmpty ? nil : labels)
  }
}
