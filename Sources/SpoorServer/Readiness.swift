import Synchronization

/// Health of the process as the admin port reports it: serving once every listener is bound, not serving while
/// starting or stopping.
package final class Readiness: Sendable {
    private let state: Mutex<(pending: Int, stopping: Bool)>
    /// When serving started (seconds since the epoch), for the health JSON.
    private let servingSince = Mutex<Double?>(nil)

    /// Creates a readiness tracker waiting for `listeners` listeners.
    package init(listeners: Int) { state = Mutex((listeners, false)) }

    /// A listener is bound.
    package func listenerReady(now: Double) {
        let becameReady = state.withLock { s -> Bool in
            s.pending -= 1
            return s.pending == 0
        }
        if becameReady { servingSince.withLock { $0 = now } }
    }

    /// The process is shutting down.
    package func stopping() { state.withLock { $0.stopping = true } }

    /// True while serving.
    package var isServing: Bool { state.withLock { $0.pending <= 0 && !$0.stopping } }

    /// Start of serving, if serving started.
    package var upSince: Double? { servingSince.withLock { $0 } }
}
