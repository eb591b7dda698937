/// The text a person reads: apr-list's aligned columns and apr-show's sections.
public enum ReadingText {
    public static let listColumns = ["CODE", "STATUS", "ACTION", "TARGET", "PROPOSED_BY", "CREATED", "EXPIRES"]

    /// One header line and one line per APR, columns aligned, two spaces
    /// apart; nothing at all for no APR.
    public static func table(_ aprs: [JSONObject]) -> String {
        guard !aprs.isEmpty else { return "" }
        let rows = aprs.map { apr in
            [field(apr, "apr_code"), field(apr, "status"), field(apr, "action_code"),
             field(apr["proposed_action"]?.objectValue ?? JSONObject(), "target"), field(apr, "proposed_by"),
             time(apr["created_at"]), time(apr["expires_at"])]
        }
        return aligned([listColumns] + rows)
    }

    /// apr-show's answer as sections: the APR, its payload, the quorum, the
    /// votes, the dispatch attempts, the grant, the deploy rows, the ledger;
    /// a blank line after it.
    public static func story(_ show: JSONObject) -> String {
        var out = "\(field(show, "apr_code"))  \(field(show, "action_code"))  \(field(show, "status"))\n"
        var facts: [[String]] = [
            ["request_type", field(show, "request_type")], ["proposed_by", field(show, "proposed_by")],
            ["reason", field(show, "reason")], ["session_code", field(show, "session_code")],
            ["created_at", time(show["created_at"])], ["expires_at", time(show["expires_at"])],
            ["applied_at", time(show["applied_at"])], ["payload_sha256", field(show, "payload_sha256")],
        ]
        if show["cancelled_at"] != nil {
            facts += [["cancelled_at", time(show["cancelled_at"])], ["cancelled_by", field(show, "cancelled_by")],
                      ["cancel_reason", field(show, "cancel_reason")]]
        }
        if let result = show["result"], result != .null { facts.append(["result", result.serialized()]) }
        out += indented(aligned(facts))
        out += "\nPayload\n  " + (show["proposed_action"]?.serialized() ?? "-") + "\n"

        let quorum = show["quorum"]?.objectValue ?? JSONObject()
        let passed = quorum["quorum_passed"] == .bool(true)
        var verdict = passed ? "passed" : "not passed"
        if !passed {
            if quorum["rejections"]?.arrayValue?.isEmpty == false {
                verdict += ": rejected"
            } else if quorum["expired"] == .bool(true) {
                verdict += ": expired"
            } else if show["status"]?.stringValue == "cancelled" {
                verdict += ": cancelled"
            } else {
                verdict += ": needs " + Quorum.missingVotes(quorum)
            }
        }
        out += "\nQuorum (risk \(field(quorum, "risk_level"))): \(verdict)\n"
        let factors = (quorum["factors"]?.arrayValue ?? []).compactMap(\.objectValue).map { f in
            [field(f, "factor"), f["role"]?.stringValue.map { "role \($0)" } ?? "any role",
             "\(field(f, "have")) of \(field(f, "required"))", f["met"] == .bool(true) ? "met" : "not met"]
        }
        out += section(factors)

        out += "\nVotes\n"
        out += section(objects(show["votes"]).map { v in
            [field(v, "approver"), field(v, "decision"), time(v["created_at"]),
             v["decision"] == "reject" ? "blocks"
                 : v["counted"] == .bool(true) ? "counted" : "not counted: " + field(v, "not_counted_because"),
             "payload " + field(v, "payload_sha256")]
        })

        out += "\nDispatches\n"
        out += section(objects(show["dispatches"]).map { d in
            ["attempt " + field(d, "attempt"), field(d, "handler_ref"), field(d, "outcome", or: "in flight"),
             "by " + field(d, "dispatched_by"), time(d["dispatched_at"]), "settled " + time(d["settled_at"])]
        })

        out += "\nGrant\n"
        if let g = show["grant"]?.objectValue {
            out += section([[field(g, "auth_code"), field(g, "status"),
                             "target " + field(g["scope"]?.objectValue ?? JSONObject(), "target"),
                             "granted " + time(g["granted_at"]), "expires " + time(g["expires_at"])]]
                           + (g["revoked_at"].map { $0 == .null ? [] : [["revoked " + time($0), field(g, "revoked_reason")]] } ?? []))
        } else {
            out += "  none\n"
        }

        out += "\nDeploys\n"
        out += section(objects(show["deploys"]).map { d in
            ["#" + field(d, "id"), field(d, "host"), field(d, "file_path"), field(d, "status"),
             d["is_known_good"] == .bool(true) ? "known-good" : "-", time(d["deployed_at"])]
        })

        out += "\nLedger\n"
        out += section(objects(show["ledger"]).map { e in
            ["seq " + field(e, "seq"), field(e, "event"), field(e, "actor"), time(e["created_at"])]
        })
        return out + "\n"  // a blank line before the next APR
    }

    // MARK: helpers

    /// A field as text: a string as it is but for its control characters,
    /// a number or boolean as JSON spells it, "-" when absent or null.
    static func field(_ object: JSONObject, _ key: String, or missing: String = "-") -> String {
        switch object[key] {
        case nil, .null?: return missing
        case .string(let s)?: return printable(s)
        case let value?: return value.serialized()
        }
    }

    /// What a proposer wrote, made unable to draw on the reader's terminal:
    /// a newline, an escape sequence or a bidi override in a reason would
    /// otherwise print a fake section ("Quorum ...: passed") or hide the
    /// real one. Each such character is shown escaped, as JSON would.
    public static func printable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case _ where isControl(scalar): out += "\\u{" + String(scalar.value, radix: 16) + "}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// C0, DEL, C1, and the marks and overrides that reorder a line.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }

    /// A timestamp as the database printed it, to the second:
    /// `2026-12-02T14:21:09.123456+00:00` → `2026-12-02 14:21:09+00:00`.
    static func time(_ value: JSONValue?) -> String {
        guard let text = value?.stringValue else { return "-" }
        var out = ""
        var inFraction = false
        for (i, c) in text.enumerated() {
            if i == 10 && c == "T" { out.append(" "); continue }
            if c == "." && i == 19 { inFraction = true; continue }
            if inFraction && c.isNumber { continue }
            inFraction = false
            out.append(c)
        }
        return out
    }

    static func objects(_ value: JSONValue?) -> [JSONObject] {
        (value?.arrayValue ?? []).compactMap(\.objectValue)
    }

    /// Rows of cells, each column as wide as its widest cell, two spaces
    /// apart, no trailing blanks.
    static func aligned(_ rows: [[String]]) -> String {
        var widths: [Int] = []
        for row in rows {
            for (i, cell) in row.enumerated() {
                if i == widths.count { widths.append(0) }
                widths[i] = max(widths[i], cell.count)
            }
        }
        var out = ""
        for row in rows {
            var line = ""
            for (i, cell) in row.enumerated() {
                line += i == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - cell.count + 2)
            }
            while line.hasSuffix(" ") { line.removeLast() }
            out += line + "\n"
        }
        return out
    }

    static func indented(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { "  " + $0 + "\n" }.joined()
    }

    static func section(_ rows: [[String]]) -> String {
        rows.isEmpty ? "  none\n" : indented(aligned(rows))
    }
}
