import Foundation
public import HummingbirdCore
import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// A request that NIO's HTTP parser cannot read (a header, cookie or URL past the limits, bytes
/// that are not HTTP, a malformed length) never reaches the router: Hummingbird answers it with
/// a bare 400 and no body. This handler, placed after the parser, answers such a request with
/// the same problem document (RFC 9457) and headers as every other refusal, then closes the
/// connection: what follows a malformed request on the same connection cannot be trusted.
/// A parse error in the middle of a request already being answered is left to Hummingbird.
final class MalformedRequestHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// The largest header section accepted, all fields together (NIO's default is 80 KiB).
    static let headerLimit = 16 * 1024

    /// A request head was read and its response has not ended.
    private var answering = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) { answering = true }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { answering = false }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parse = error as? HTTPParserError, !answering else {
            context.fireErrorCaught(error)
            return
        }
        let (title, detail) = Self.explain(parse)
        let body = Problem.body(status: .badRequest, title: title, detail: detail)
        var fields: HTTPFields = [.contentType: "application/problem+json", .contentLength: String(body.count), .connection: "close"]
        SecurityHeaders.apply(&fields)
        answering = true
        context.write(wrapOutboundOut(.head(HTTPResponse(status: .badRequest, headerFields: fields))), promise: nil)
        context.write(wrapOutboundOut(.body(context.channel.allocator.buffer(bytes: body))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }

    /// What the client sent wrong, in words (never echoing what it sent).
    static func explain(_ error: HTTPParserError) -> (String, String) {
        switch error {
        case .headerOverflow:
            return ("Request headers too large", "the request's headers (cookies included) are larger than \(headerLimit / 1024) KiB together; send fewer or shorter ones")
        case .invalidURL, .invalidPath, .invalidQueryString, .invalidHost, .invalidPort, .invalidFragment:
            return ("Invalid request", "the request's target is not a valid URL path")
        case .invalidContentLength, .unexpectedContentLength, .invalidChunkSize:
            return ("Invalid request", "the request's body length is malformed")
        default:
            return ("Invalid request", "the request could not be read as HTTP/1.1")
        }
    }
}

extension GuichetServer {
    /// The HTTP/1.1 server both listeners run, with the standard connection limits
    /// (``http1(_:trustedProxies:)``): malformed requests answered with a problem document,
    /// headers limited to ``MalformedRequestHandler/headerLimit`` bytes. Tests that start a
    /// live listener use it too.
    public static var http1: HTTPServerBuilder { http1(.standard) }
}
