extension JSONObject {
    /// The same entries with `keys` first, in that order, then the rest as
    /// they were: jsonb returns keys in its own order, output reads better in
    /// the order the man page documents them.
    public func ordered(_ keys: [String]) -> JSONObject {
        var out = JSONObject()
        for key in keys { if let value = self[key] { out[key] = value } }
        for (key, value) in entries where out[key] == nil { out[key] = value }
        return out
    }
}
