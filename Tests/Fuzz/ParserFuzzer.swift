// libFuzzer entry point for the HTTP request parser (built by scripts/fuzz, not by SwiftPM).
//
// Besides "never crash, never hang", it checks a differential property: feeding the input
// whole and feeding it split at a position chosen from the input must give the same events or
// the same error. Any difference is a parser bug, reported as a crash so libFuzzer keeps it.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzParser(_ data: UnsafePointer<UInt8>, _ count: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: count))
    var limits = ParseLimits()
    limits.maxRequestLineBytes = 256
    limits.maxHeadBytes = 1024
    limits.maxHeaderCount = 16
    limits.maxBodyBytes = 4096
    limits.maxChunkLineBytes = 64

    let whole = outcome(of: [bytes], limits: limits)
    if count > 1 {
        let cut = Int(bytes[0]) % count
        let split = outcome(of: [Array(bytes[..<cut]), Array(bytes[cut...])], limits: limits)
        precondition(split == whole, "split at \(cut) changed the outcome: \(split) vs \(whole)")
    }
    return 0
}

private func outcome(of chunks: [[UInt8]], limits: ParseLimits) -> String {
    var parser = HTTPRequestParser(limits: limits)
    var events: [String] = []
    var body: [UInt8] = []
    do {
        for chunk in chunks {
            parser.append(chunk)
            while let event = try parser.next() {
                switch event {
                case .body(let bytes):
                    body += bytes  // chunk boundaries may differ; only the bytes matter
                case .head(let head):
                    events.append("head \(head.method) \(head.target) \(head.headers.count)")
                case .end(let trailers):
                    events.append("body \(body.count) end \(trailers.count)")
                    body = []
                }
            }
        }
        return events.joined(separator: "|") + (body.isEmpty ? "" : "|partial \(body.count)")
    } catch {
        return events.joined(separator: "|") + "|error \(error.status.code)"
    }
}
