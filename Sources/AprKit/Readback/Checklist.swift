/// A checklist: named SQL assertions, each a query that returns one value
/// and what that value must be. The text format (see readback(1)):
///
///     -- name: grant_status
///     -- expect: = active
///     SELECT status FROM governance_build_authorization WHERE request_ref = :apr;
///
/// A `-- name:` line starts an item; `-- expect:` follows it; the query runs to
/// the next `-- name:` line. Any other `--` line is a comment. `:name` is a
/// parameter, bound at run time, never spliced into the SQL.
public struct Checklist: Sendable {
    public struct Item: Sendable {
        public let name: String
        public let expectation: Expectation
        /// The query as written, with `:name` parameters.
        public let source: String
        /// The query as sent, with `$n` parameters, and the name behind each.
        public let query: NamedParameters
        public let line: Int

        /// Every parameter the item needs: its query's and its expectation's.
        public var parameters: [String] {
            query.names + (expectation.parameter.map { [$0] } ?? [])
        }
    }

    public let name: String
    public let items: [Item]

    /// Every parameter the checklist needs, sorted.
    public var parameters: [String] {
        Array(Set(items.flatMap(\.parameters))).sorted()
    }

    public init(name: String, items: [Item]) {
        self.name = name
        self.items = items
    }

    /// Parses checklist text; a checklist that cannot be run as written is bad input (65).
    public init(parsing text: String, name: String) throws(Refusal) {
        var items: [Item] = []
        var pending: (name: String, line: Int, expect: String?, body: [Substring], headerOpen: Bool)?

        func finish() throws(Refusal) {
            guard let p = pending else { return }
            let item = try Checklist.item(name: p.name, line: p.line, expect: p.expect, body: p.body)
            if items.contains(where: { $0.name == item.name }) {
                throw Refusal("duplicate_item", "line \(p.line): a second item named \(item.name)")
            }
            items.append(item)
        }

        for (index, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let number = index + 1
            if let itemName = Checklist.header("name", in: line) {
                try finish()
                guard Checklist.isValidItemName(itemName) else {
                    throw Refusal("bad_checklist",
                                  "line \(number): \"\(itemName)\" is not an item name ([A-Za-z][A-Za-z0-9_]*)")
                }
                pending = (itemName, number, nil, [], true)
            } else if pending?.headerOpen == true, let expect = Checklist.header("expect", in: line) {
                guard pending?.expect == nil else {
                    throw Refusal("bad_checklist", "line \(number): a second -- expect: for \(pending!.name)")
                }
                pending?.expect = expect
            } else if pending != nil {
                pending?.headerOpen = false
                pending?.body.append(line)
            } else if !Checklist.isBlankOrComment(line) {
                throw Refusal("bad_checklist", "line \(number): SQL before the first -- name: line")
            }
        }
        try finish()
        guard !items.isEmpty else {
            throw Refusal("empty_checklist", "checklist \(name) has no item (no -- name: line)")
        }
        self.init(name: name, items: items)
    }

    private static func item(name: String, line: Int, expect: String?, body: [Substring]) throws(Refusal) -> Item {
        guard let expect else {
            throw Refusal("bad_checklist", "line \(line): item \(name) has no -- expect: line after its -- name: line")
        }
        let expectation: Expectation
        do { expectation = try Expectation(expect) } catch {
            throw Refusal("bad_expectation", "line \(line): item \(name): \(error.message)")
        }
        // Comment lines after the query belong to the next item's heading.
        var lines = body
        while let last = lines.last, isBlankOrComment(last) { lines.removeLast() }
        var source = lines.joined(separator: "\n").trimmingWhitespace()
        if source.hasSuffix(";") { source = String(source.dropLast()).trimmingWhitespace() }

        let statements = SQLScript.topLevelStatements(source)
        guard statements.count == 1 else {
            throw Refusal(statements.isEmpty ? "bad_checklist" : "not_a_query",
                          "line \(line): item \(name) has \(statements.isEmpty ? "no query" : "more than one statement")")
        }
        // One query, and only a query: the read-only transaction refuses
        // writes, and no item can end that transaction.
        let first = statements[0].drop { $0 == "(" || $0.isWhitespace }.prefix { $0.isLetter }.uppercased()
        guard ["SELECT", "WITH", "VALUES", "TABLE"].contains(first) else {
            throw Refusal("not_a_query", "line \(line): item \(name) is not a query (SELECT, WITH, VALUES or TABLE)")
        }
        let query: NamedParameters
        do { query = try NamedParameters(numbering: source) } catch {
            switch error {
            case .positionalParameter:
                throw Refusal("bad_checklist", "line \(line): item \(name) uses $n; name its parameters :name")
            case .invalidName(let word):
                throw Refusal("bad_checklist",
                              "line \(line): item \(name): :\(word) is not a parameter name ([A-Za-z_][A-Za-z0-9_]*, 63 bytes at most)")
            }
        }
        return Item(name: name, expectation: expectation, source: source, query: query, line: line)
    }

    /// The value of a `-- key: value` line, or nil when the line is not one.
    static func header(_ key: String, in line: Substring) -> String? {
        var rest = line.drop { $0 == " " || $0 == "\t" }
        guard rest.hasPrefix("--") else { return nil }
        rest = rest.dropFirst(2).drop { $0 == " " || $0 == "\t" }
        guard rest.hasPrefix(key + ":") else { return nil }
        return rest.dropFirst(key.count + 1).trimmingWhitespace()
    }

    static func isBlankOrComment(_ line: Substring) -> Bool {
        let text = line.trimmingWhitespace()
        return text.isEmpty || text.hasPrefix("--")
    }

    static func isValidItemName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, ("a"..."z").contains(first) || ("A"..."Z").contains(first),
              name.utf8.count <= 63 else { return false }
        return name.unicodeScalars.allSatisfy(NamedParameters.isWordChar)
    }
}
