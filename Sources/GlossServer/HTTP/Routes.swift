import Hummingbird
import GlossCore

extension RouterMethods {
    /// Registers `handler` for `method` on `route` (its pattern from the wire layer, so
    /// the server answers exactly the paths the clients build).
    @discardableResult
    func on(
        _ route: WireRoute, method: HTTPRequest.Method, use handler: @escaping @Sendable (Request, Context) async throws -> Response
    ) -> Self {
        precondition(route.methods.contains(method.rawValue), "\(route) does not answer \(method)")
        return on(RouterPath(route.pattern), method: method, use: handler)
    }
}
