/// The server's routes by path pattern, to answer a known path asked with another
/// method with 405 and `Allow` (Hummingbird's router answers 404 for those).
enum Routes {
    /// Path patterns (`*` matches one segment) and their methods.
    static let table: [(pattern: [String], methods: [String])] = [
        (["v1", "healthz"], ["GET"]),
        (["metrics"], ["GET"]),
        (["v1", "corpora", "*"], ["GET", "DELETE"]),
        (["v1", "corpora", "*", "changes"], ["GET", "POST"]),
        (["v1", "corpora", "*", "tokens"], ["GET", "POST"]),
        (["v1", "corpora", "*", "tokens", "*"], ["DELETE"]),
    ]

    /// The methods a path allows, or none when no route has that path.
    static func methods(forPath path: String) -> [String] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        for route in table where route.pattern.count == segments.count {
            if zip(route.pattern, segments).allSatisfy({ $0 == "*" || $0 == $1 }) { return route.methods }
        }
        return []
    }
}
