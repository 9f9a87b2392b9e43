/// Restart recovery (RFC 7530 §9.6, RFC 8881 §8.4.2): confirmed clients are recorded; after a restart the
/// recorded ones may reclaim opens and locks during the grace period, which ends early once all of them
/// have sent RECLAIM_COMPLETE; records of clients that do not come back are dropped when it ends.
extension NFSServer {
    /// Loads the client records; with none, there is nothing to reclaim and no grace period.
    public func restoreClients() async {
        let known = await clientRecords?.load() ?? []
        if !known.isEmpty { logger.info("\(known.count) client(s) known before this start may reclaim their state") }
        state.with { $0.restarted(knownOwners: known, now: monotonicSeconds()) }
    }

    func clientConfirmed(_ owner: [UInt8]) async {
        logger.debug("client confirmed: \(String(decoding: owner, as: UTF8.self))")
        await clientRecords?.add(owner)
    }

    /// Drops the expired clients holding state on `file` before a request is checked against it, and their
    /// records (see `StateTables.revokeExpiredHolders`).
    func revokeExpiredHolders(of file: FileHandle) async {
        let gone = state.with { $0.revokeExpiredHolders(of: file, now: monotonicSeconds()) }
        guard !gone.isEmpty else { return }
        logger.info("revoked the state of \(gone.count) client(s) whose lease had run out, for a conflicting request")
        await clientRecords?.remove(gone)
    }

    func checkGrace(client: UInt64, reclaim: Bool) throws(NFSStatus) {
        do {
            try state.with { (t: inout StateTables) throws(NFSStatus) in try t.checkGrace(client: client, reclaim: reclaim, now: monotonicSeconds()) }
        } catch {
            if reclaim {
                let owner = state.with { $0.owner(ofClient: client).map { String(decoding: $0, as: UTF8.self) } } ?? "unknown client"
                logger.info("refused a reclaim by \(owner): \(error)")
            }
            throw error
        }
    }

    /// Lease expiry and the end of grace, every quarter lease, until cancelled.
    public func runMaintenance() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(max(0.25, state.leaseSeconds / 4)))
            var gone = state.expireClients()
            gone += state.with { $0.ownersThatDidNotReturn(now: monotonicSeconds()) + $0.takeExpiredOwners() }
            if !gone.isEmpty {
                logger.info("forgetting \(gone.count) client(s) whose lease ran out or who did not come back")
                await clientRecords?.remove(gone)
            }
            await settleOpenFiles()
            await maintainCallbacks()
        }
    }
}
