/// The version every tool reports, and the one gov-migrate records with each
/// repeatable file it applies: a database whose files a newer aprkit applied
/// is never rolled back by an older one.
public let aprkitVersion = "0.2.0"

/// Semantic versions ordered field by field ("0.10.0" after "0.9.1").
public func versionIsNewer(_ a: String, than b: String) -> Bool {
    let x = a.split(separator: ".").map { Int($0) ?? 0 }
    let y = b.split(separator: ".").map { Int($0) ?? 0 }
    for i in 0..<max(x.count, y.count) {
        let (p, q) = (i < x.count ? x[i] : 0, i < y.count ? y[i] : 0)
        if p != q { return p > q }
    }
    return false
}
