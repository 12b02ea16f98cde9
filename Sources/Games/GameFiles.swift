import Foundation

/// Reading and writing games: the project's JSON (`{"name", "payoffs": {"player1": [[…]],
/// "player2": [[…]]}, "strategy_labels": {"player1": […], "player2": […]}}`, the schema of the
/// game fixtures) and Gambit's strategic-form `.nfg` text (version 1, `R` for rational payoffs,
/// both the payoff-list and the outcome-list bodies; two players).
public enum GameFiles {
  /// Reads a game from `.json` or `.nfg` (by extension).
  public static func read(path: String) throws(GameError) -> NormalFormGame {
    guard let data = FileManager.default.contents(atPath: path) else { throw GameError("cannot read \(path)") }
    guard let text = String(data: data, encoding: .utf8) else { throw GameError("\(path) is not UTF-8 text") }
    if path.hasSuffix(".nfg") { return try parseNFG(text, source: path) }
    return try parseJSON(data, source: path)
  }

  /// A game from the JSON schema above.
  public static func parseJSON(_ data: Data, source: String = "game") throws(GameError) -> NormalFormGame {
    guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
      throw GameError("\(source) is not a JSON object")
    }
    guard let payoffs = object["payoffs"] as? [String: Any] else { throw GameError("\(source) has no \"payoffs\" object") }
    func matrix(_ key: String) throws(GameError) -> [[Double]] {
      guard let rows = payoffs[key] as? [[Any]] else { throw GameError("\(source): payoffs.\(key) must be a matrix of numbers") }
      var out: [[Double]] = []
      for row in rows {
        var r: [Double] = []
        for v in row {
          if let n = v as? NSNumber { r.append(n.doubleValue) } else if let s = v as? String, s.lowercased() == "nan" { r.append(.nan) } else {
            throw GameError("\(source): payoffs.\(key) holds a value that is not a number: \(v)")
          }
        }
        out.append(r)
      }
      return out
    }
    var labels: [[String]]? = nil
    if let l = object["strategy_labels"] as? [String: Any], let a = l["player1"] as? [String], let b = l["player2"] as? [String] {
      labels = [a, b]
    }
    return try NormalFormGame(name: object["name"] as? String ?? "game", payoff1: try matrix("player1"), payoff2: try matrix("player2"), labels: labels)
  }

  /// The game as JSON (the schema above).
  public static func json(_ game: NormalFormGame) -> String {
    func row(_ r: [Double]) -> String { "[" + r.map { $0 == $0.rounded() && abs($0) < 1e15 ? String(Int64($0)) : "\($0)" }.joined(separator: ", ") + "]" }
    func matrix(_ m: [[Double]]) -> String { "[" + m.map(row).joined(separator: ", ") + "]" }
    func names(_ l: [String]) -> String { "[" + l.map { "\"\($0.replacingOccurrences(of: "\"", with: "\\\""))\"" }.joined(separator: ", ") + "]" }
    return """
      {
        "name": "\(game.name)",
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
