// Fuzz target: the checklist file parser (Checklist(parsing:)), with the
// expectation parser and the `:name` lexer it runs on each item.
//
// Properties: a checklist that parses renders back to checklist text (one
// item after another: its name, its expectation, a blank line, its query)
// that parses to the same items; each item is one query whose parameters
// are its names; every item name and parameter name is a valid name.
@testable import AprKit

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzChecklist(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: fuzzBytes(data, size), as: UTF8.self)
    guard let checklist = try? Checklist(parsing: text, name: "fuzz") else { return 0 }
    require(!checklist.items.isEmpty, "a checklist has an item")
    require(Set(checklist.items.map(\.name)).count == checklist.items.count, "item names are unique")
    for item in checklist.items {
        require(Checklist.isValidItemName(item.name), "item name \(shown(item.name))")
        require(item.parameters.allSatisfy(NamedParameters.isValidName), "parameters \(item.parameters)")
        require(SQLScript.topLevelStatements(item.source).count == 1, "one statement in \(shown(item.source))")
        require((try? NamedParameters(numbering: item.source)) == item.query, "the query is its source numbered")
    }

    let rendered = render(checklist)
    let again: Checklist
    do { again = try Checklist(parsing: rendered, name: "fuzz") } catch {
        require(false, "the rendering \(shown(rendered)) does not parse: \(error.reason): \(error.message)")
        return 0
    }
    require(again.items.count == checklist.items.count, "\(again.items.count) items read back for \(checklist.items.count)")
    for (a, b) in zip(checklist.items, again.items) {
        require(a.name == b.name && a.expectation == b.expectation && a.source == b.source && a.query == b.query,
                "item \(shown(a.name)) read back as \(shown(b.name)) \(shown(b.expectation)) \(shown(b.source)), was \(shown(a.expectation)) \(shown(a.source))")
    }
    require(again.parameters == checklist.parameters, "the same parameters")
    return 0
}

/// Checklist text for `checklist`: a literal operand quoted (a quote doubled),
/// so that its spaces and quotes read back as they are.
private func render(_ checklist: Checklist) -> String {
    var out = ""
    for item in checklist.items {
        let expect: String
        switch item.expectation.test {
        case .isNull: expect = "is null"
        case .isNotNull: expect = "is not null"
        case .compare(let comparison, .parameter(let name)): expect = "\(comparison.rawValue) :\(name)"
        case .compare(let comparison, .literal(let value)):
            expect = "\(comparison.rawValue) '\(value.replacing("'", with: "''"))'"
        }
        out += "-- name: \(item.name)\n-- expect: \(expect)\n\n\(item.source);\n"
    }
    return out
}
