public import Hummingbird
import GlossCore
import Foundation
import Logging
import HTTPTypes

extension HTTPField.Name {
    /// `Gloss-Protocol`: the version of the sync protocol (``GlossProtocol``).
    public static let glossProtocol = HTTPField.Name(GlossProtocol.headerName)!
}

/// Refuses corpus requests that do not speak this server's protocol version.
struct ProtocolVersionMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let sent = request.headers[.glossProtocol]
        guard sent == GlossProtocol.version else {
            var refusal = APIError(
                .badRequest, .protocolMismatch,
                sent == nil
                    ? "missing header Gloss-Protocol: this server speaks Gloss protocol \(GlossProtocol.version); use a gloss client"
                    : "this server speaks Gloss protocol \(GlossProtocol.version), the client \(sent!); upgrade the older of the two")
            refusal.body.supported = GlossProtocol.version
            throw refusal
        }
        var response = try await next(request, context)
        response.headers[.glossProtocol] = GlossProtocol.version
        return response
    }
}

/// Checks the bearer token and puts its grant in the context.
struct TokenAuthenticator: RouterMiddleware {
    typealias Context = GlossRequestContext
    let storage: any Storage

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // The scheme name is case-insensitive (RFC 9110, 11.1).
        guard let header = request.headers[.authorization], header.count > 7, header.prefix(7).lowercased() == "bearer " else {
            throw APIError(
                .unauthorized, .unauthorized, "missing bearer token: send Authorization: Bearer TOKEN (gloss remote set --token)")
        }
        let token = String(header.dropFirst("Bearer ".count)).trimmingCharacters(in: .whitespaces)
        guard let grant = try await storage.grant(forTokenHash: Tokens.hash(token)) else {
            throw APIError(
                .unauthorized, .unauthorized,
                "the token is not valid (unknown or revoked); ask the server's admin for a new one (gloss-server token create)")
        }
        var context = context
        context.grant = grant
        return try await next(request, context)
    }
}

/// Counts and times every request for `/metrics`.
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let route = { context.endpointPath ?? "unmatched" }
        do {
            let response = try await next(request, context)
            metrics.request(route: route(), method: request.method.rawValue, status: response.status.code, duration: .now - start)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.request(route: route(), method: request.method.rawValue, status: status, duration: .now - start)
            throw error
        }
    }
}

/// Turns any error that is not already an HTTP answer into a JSON 500 and logs it, so
/// no client ever gets a body it cannot parse.
struct InternalErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as HTTPError {
            // Hummingbird's own answers (no route, a body it could not read) get the same
            // JSON error body as every other refusal.
            throw APIError.from(error, request: request)
        } catch let error as any HTTPResponseError {
            throw error
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            throw APIError(.internalServerError, .internal, "the server failed to handle the request; retry, and report it if it persists")
        }
    }
}
