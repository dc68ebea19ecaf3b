import Hummingbird
import CompressNIO
import GlossCore
import NIOCore

/// Reading request bodies and writing response bodies, with gzip both ways.
enum Body {
    /// The request body, decompressed when `Content-Encoding: gzip`, within ``Limits``.
    static func read(_ request: Request, limits: Limits) async throws -> ByteBuffer {
        var buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limits.maxBodyBytes)
        } catch is NIOTooManyBytesError {
            throw APIError.bodyTooLarge("the request body is over \(limits.maxBodyBytes) bytes; send smaller batches")
        } catch {
            // A body the HTTP layer could not read (broken chunked framing, say).
            throw APIError.badRequest("the request body could not be read (\(error)); send it again as plain or gzip JSON")
        }
        switch request.headers[.contentEncoding]?.lowercased() {
        case nil, "identity": return buffer
        case "gzip":
            let tooLarge = APIError.tooLarge(
                "the request body decompresses to over \(limits.maxDecompressedBytes) bytes; send smaller batches")
            let inflated: ByteBuffer
            do {
                inflated = try buffer.decompress(with: .gzip(), maxSize: limits.maxDecompressedBytes)
            } catch let error as CompressNIOError where error == .bufferOverflow {
                throw tooLarge
            } catch {
                throw APIError.badRequest("the request body is not valid gzip")
            }
            // compress-nio rounds its allocations up, so its own bound can let a little
            // more through: the limit is checked on what actually came out.
            guard inflated.readableBytes <= limits.maxDecompressedBytes else { throw tooLarge }
            return inflated
        case let other?:
            throw APIError(.unsupportedMediaType, .unsupportedEncoding, "Content-Encoding \(other) is not supported; use gzip or none")
        }
    }

    /// The body parsed as one JSON document.
    static func json(_ request: Request, limits: Limits) async throws -> JSONValue {
        let buffer = try await read(request, limits: limits)
        do {
            return try JSONParser.parse(bytes: Array(buffer.readableBytesView), maxDepth: limits.maxJSONDepth)
        } catch {
            throw APIError.invalidJSON("the request body is not valid JSON: \(error)")
        }
    }

    /// A JSON response, gzip-compressed when large and the client accepts gzip.
    static func response(_ bytes: [UInt8], status: HTTPResponse.Status = .ok, request: Request, limits: Limits) -> Response {
        response(ByteBuffer(bytes: bytes), status: status, request: request, limits: limits)
    }

    /// A JSON response from a buffer, gzip-compressed when large and the client accepts gzip.
    static func response(_ buffer: ByteBuffer, status: HTTPResponse.Status = .ok, request: Request, limits: Limits) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        var buffer = buffer
        let accepts = request.headers[.acceptEncoding]?.lowercased().contains("gzip") ?? false
        if accepts, buffer.readableBytes > limits.compressAbove, let compressed = try? buffer.compress(with: .gzip()) {
            headers[.contentEncoding] = "gzip"
            buffer = compressed
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: buffer))
    }
}
