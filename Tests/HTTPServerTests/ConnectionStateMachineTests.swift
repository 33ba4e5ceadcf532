import Testing
@testable import HTTPServer

/// The connection's decisions driven by a fake clock (milliseconds), no sockets.
struct ConnectionStateMachineTests {
    let timeouts = ConnectionStateMachine.Timeouts(head: 10_000, bodyIdle: 30_000, idle: 65_000, handler: 60_000, write: 30_000)

    @Test func aSilentNewConnectionIsClosedAfterTheHeadTimeout() {
        var machine = ConnectionStateMachine(timeouts: timeouts, now: 1_000)
        #expect(machine.deadline == 11_000)
        do {
            let result = machine.deadlinePassed(parserIsIdle: true, hasPendingOutput: false)
            #expect(result == .close)
        }
    }

    @Test func aSlowHeadGets408() {
        var machine = ConnectionStateMachine(timeouts: timeouts, now: 0)
        machine.bytesReceived(startedNewRequest: true, now: 5_000)
        // The first request's clock started at accept: trickling bytes does not extend it (slowloris).
        #expect(machine.deadline == 10_000)
        do {
            let result = machine.deadlinePassed(parserIsIdle: false, hasPendingOutput: false)
            #expect(result
            == .respondAndClose(.requestTimeout, detail: "the request head took too long to arrive"))
        }
    }

    @Test func keepAliveCycle() {
        var machine = ConnectionStateMachine(timeouts: timeouts, now: 0)
        machine.headReceived(now: 100)
        #expect(machine.phase == .readingBody)
        #expect(machine.deadline == 30_100)
        machine.bytesReceived(startedNewRequest: false, now: 200)
        #expect(machine.deadline == 30_200)
        let sequence = machine.requestReceived(now: 300)
        #expect(machine.phase == .processing(sequence: 1))
        #expect(machine.deadline == 60_300)
        do {
            let result = machine.responseReady(for: sequence, clientWantsKeepAlive: true, peerClosedInput: false, now: 400)
            #expect(result == .write(keepAlive: true))
        }
        do {
            let result = machine.outputFlushed(parserIsIdle: true, now: 400)
            #expect(!result)
        }
        #expect(machine.deadline == 65_400)  // idle keep-alive
        // The next request's first byte starts a fresh head timer.
        machine.bytesReceived(startedNewRequest: true, now: 1_000)
        #expect(machine.deadline == 11_000)
    }

    @Test func connectionCloseLeadsToLingering() {
        var machine = ConnectionStateMachine(timeouts: timeouts, now: 0)
        machine.headReceived(now: 0)
        let sequence = machine.requestReceived(now: 0)
        do {
            let result = machine.responseReady(for: sequence, clientWantsKeepAlive: false, peerClosedInput: false, now: 10)
            #expect(result == .write(keepAlive: false))
        }
        #expect(machine.phase == .closing)
        do {
            let result = machine.outputFlushed(parserIsIdle: true, now: 20)
            #expect(result)
        }
        #expect(machine.phase == .lingering)
        #expect(machine.deadline == 2_020)
        do {
            let result = machine.deadlinePassed(parserIsIdle: true, hasPendingOutput: false)
            #expect(result == .close)
        }
    }

    @Test func aHandlerTimeoutAnswers503AndIgnoresTheLateResponse() {
        var machine = ConnectionStateMachine(timeouts: timeouts, now: 0)
        machine.headReceived(now: 0)
        let sequence = machine.requestReceived(now: 0)
        do {
            let result = machine.deadlinePassed(parserIsIdle: true, hasPendingOutput: false)
            #expect(result
            == .respondAndClose(.serviceUnavailable, detail: "the request took too long to process"))
        }
        machine.finalResponseQueued(now: 60_000)
        do {
            let result = machine.responseReady(for: sequence, clientWantsKeepAlive: true, peerClosedInput: false, now: 61_000)
            #expect(result == .ignore)
        }
    }

    @Test func aStalledWriterIsClosed() {
        var machine = ConnectionStateMachine(timeouts: timeouts, now: 0)
        machine.headReceived(now: 0)
        let sequence = machine.requestReceived(now: 0)
        _ = machine.responseReady(for: sequence, clientWantsKeepAlive: true, peerClosedInput: false, now: 0)
        machine.outputBlocked(now: 5)
        #expect(machine.deadline == 30_005)
        do {
            let result = machine.deadlinePassed(parserIsIdle: true, hasPendingOutput: true)
            #expect(result == .close)
        }
    }

    @Test func drainingClosesIdleConnectionsAndEndsBusyOnesAfterTheirResponse() {
        var idle = ConnectionStateMachine(timeouts: timeouts, now: 0)
        do {
            let result = idle.beginDraining(parserIsIdle: true, hasPendingOutput: false)
            #expect(result)
        }
        var busy = ConnectionStateMachine(timeouts: timeouts, now: 0)
        busy.headReceived(now: 0)
        let sequence = busy.requestReceived(now: 0)
        do {
            let result = busy.beginDraining(parserIsIdle: true, hasPendingOutput: false)
            #expect(!result)
        }
        do {
            let result = busy.responseReady(for: sequence, clientWantsKeepAlive: true, peerClosedInput: false, now: 1)
            #expect(result == .write(keepAlive: false))
        }
    }

    @Test func aHalfClosedPeerGetsItsAnswerThenTheConnectionEnds() {
        var machine = ConnectionStateMachine(timeouts: timeouts, now: 0)
        machine.headReceived(now: 0)
        let sequence = machine.requestReceived(now: 0)
        do {
            let result = machine.responseReady(for: sequence, clientWantsKeepAlive: true, peerClosedInput: true, now: 1)
            #expect(result == .write(keepAlive: false))
        }
    }
}
