import StrictJSON

/// The dict literal of an `.npy` header, parsed by the rules numpy's loader applies after
/// `ast.literal_eval`:
///
/// - "Header is not a dictionary": the text is one `{…}` literal (whitespace around it).
/// - "Header does not contain the correct keys": exactly `'descr'`, `'fortran_order'`,
///   `'shape'`, each once.
/// - "shape is not valid": a tuple of integers: `()`, `(6,)`, `(6, 8)`, `(6, 8,)`; `(6)` is
///   an integer and `(6 8)` a syntax error in Python, so both are refused; Python 3 refuses
///   leading zeros (`06`); a trailing `L` (Python 2 longs) is accepted in versions 1.0/2.0,
///   as numpy's `_filter_header` does.
/// - "fortran_order is not a valid bool": `True` or `False`.
/// - `descr` is a string (a list, a structured dtype, is recognised and refused by the caller).
///
/// The grammar is flat (one dict, one tuple), so the parser is a loop, not a recursion.
struct NPYHeaderDict {
  var descr: String
  var fortranOrder: Bool
  var shape: [Int]

  struct Failure: Error {
    let message: String
  }

  private var text: [Unicode.Scalar]
  private var i = 0
  private let allowLongSuffix: Bool

  init(parsing header: String, allowLongSuffix: Bool) throws(Failure) {
    text = Array(header.unicodeScalars)
    self.allowLongSuffix = allowLongSuffix
    descr = ""
    fortranOrder = false
    shape = []
    var seen: Set<String> = []
    skipSpace()
    try expect("{", "the header is not a dict literal")
    while true {
      skipSpace()
      if peek == "}" { i += 1; break }
      let key = try stringLiteral()
      guard ["descr", "fortran_order", "shape"].contains(key) else { throw Failure(message: "unexpected key '\(Self.short(key))'") }
      guard seen.insert(key).inserted else { throw Failure(message: "key '\(key)' given twice") }
      skipSpace()
      try expect(":", "expected ':' after '\(key)'")
      skipSpace()
      switch key {
      case "descr":
        if peek == "[" { throw Failure(message: "structured dtypes are not supported") }
        descr = try stringLiteral()
      case "fortran_order":
        let word = self.word()
        switch word {
        case "True": fortranOrder = true
        case "False": fortranOrder = false
        default: throw Failure(message: "fortran_order is not a bool ('\(Self.short(word))')")
        }
      default:
        shape = try tuple()
      }
      skipSpace()
      if peek == "," { i += 1; continue }
      skipSpace()
      guard peek == "}" else { throw Failure(message: "expected ',' or '}' after the value of '\(key)'") }
    }
    skipSpace()
    guard i == text.count else { throw Failure(message: "text after the dict") }
    for key in ["descr", "fortran_order", "shape"] where !seen.contains(key) { throw Failure(message: "no '\(key)'") }
  }

  private var peek: Unicode.Scalar? { i < text.count ? text[i] : nil }

  private static func short(_ s: String) -> String { JSONNode.printable(s, limit: 30) }

  private mutating func skipSpace() {
    while let c = peek, c == " " || c == "\t" || c == "\n" || c == "\r" || c == "\u{C}" { i += 1 }
  }

  private mutating func expect(_ c: Unicode.Scalar, _ message: String) throws(Failure) {
    guard peek == c else { throw Failure(message: message) }
    i += 1
  }

  private mutating func word() -> String {
    var w = String.UnicodeScalarView()
    while let c = peek, c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "_" { w.append(c); i += 1 }
    return String(w)
  }

  /// `'…'` or `"…"` without escapes (numpy never writes them).
  private mutating func stringLiteral() throws(Failure) -> String {
    guard let quote = peek, quote == "'" || quote == "\"" else { throw Failure(message: "expected a quoted string") }
    i += 1
    var s = String.UnicodeScalarView()
    while let c = peek, c != quote {
      guard c != "\\" else { throw Failure(message: "escapes in header strings are not supported") }
      guard c != "\n" else { throw Failure(message: "unterminated string") }
      s.append(c)
      i += 1
    }
    guard peek == quote else { throw Failure(message: "unterminated string") }
    i += 1
    return String(s)
  }

  /// `(d0, d1, …)` of non-negative decimal integers.
  private mutating func tuple() throws(Failure) -> [Int] {
    guard peek == "(" else { throw Failure(message: "shape is not a tuple") }
    i += 1
    var dims: [Int] = []
    var sawComma = false
    while true {
      skipSpace()
      if peek == ")" {
        i += 1
        // `(6)` is the integer 6 in Python, not a tuple.
        guard dims.count != 1 || sawComma else { throw Failure(message: "shape (\(dims[0])) is not a tuple: write (\(dims[0]),)") }
        return dims
      }
      if !dims.isEmpty && !sawComma { throw Failure(message: "expected ',' between the dimensions of shape") }
      dims.append(try integer())
      sawComma = false
      skipSpace()
      if peek == "," {
        i += 1
        sawComma = true
      }
    }
  }

  private mutating func integer() throws(Failure) -> Int {
    var negative = false
    if peek == "-" {
      negative = true
      i += 1
      skipSpace()
    }
    var digits = ""
    while let c = peek, ("0"..."9").contains(c) { digits.unicodeScalars.append(c); i += 1 }
    guard !digits.isEmpty else { throw Failure(message: "shape holds something that is not an integer") }
    if allowLongSuffix, peek == "L" || peek == "l" { i += 1 }
    if let c = peek, c.properties.isAlphabetic || c == "_" || c == "." { throw Failure(message: "shape holds something that is not a decimal integer") }
    if digits.count > 1 && digits.first == "0" && digits.contains(where: { $0 != "0" }) {
      throw Failure(message: "leading zeros in the dimension \(digits) (not a Python 3 integer)")
    }
    guard let v = Int(digits) else { throw Failure(message: "dimension \(Self.short(digits)) is too large") }
    if negative { throw Failure(message: "negative dimension -\(v) in shape") }
    return v
  }
}

