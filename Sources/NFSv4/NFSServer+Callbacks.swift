import FileSystem
import ONCRPC
import XDR

/// Callback paths and what travels over them: the CB_NULL probe that lets a client hold delegations, and
/// the recalls of delegations another client's request conflicts with.
extension NFSServer {
    /// A client's callback path (a session's back channel, or its NFSv4.0 callback address) is now `path`;
    /// it is probed with CB_NULL shortly, once the reply that set it up has gone out.
    func setCallback(client: UInt64, _ path: CallbackChannel.Path) {
        let channel = CallbackChannel(path)
        if let previous = callbacks.set(channel, for: client) { Task { await previous.close() } }
        state.with { $0.setCallback(client: client, .unknown) }
        Task {
            try? await Task.sleep(for: .milliseconds(50))
            do {
                try await channel.probe()
                guard callbacks.channel(for: client) === channel else { return }
                state.with { $0.setCallback(client: client, .up) }
            } catch {
                guard callbacks.channel(for: client) === channel else { return }
                state.with { $0.setCallback(client: client, .down) }
                logger.info("the callback path of client \(String(client, radix: 16)) did not answer CB_NULL: \(error)")
            }
        }
    }

    /// Before a request by `client` (nil: unknown, as NFSv4.0 namespace operations are) that reads or
    /// writes `inode`: delegations of other clients it conflicts with are recalled, and the request is
    /// answered NFS4ERR_DELAY until they are returned or revoked.
    /// `client` is only worked out when some delegation exists (in NFSv4.0 it takes the state lock).
    func recallConflicting(_ inode: InodeID, client: @autoclosure () -> UInt64?, write: Bool) throws(NFSStatus) {
        guard state.mayHaveDelegations else { return }
        let requester = client()
        let (conflicts, toRecall) = state.with { t -> (Bool, [Delegation]) in
            let found = t.conflictingDelegations(inode, client: requester, write: write, now: monotonicSeconds())
            return (found.any, found.toRecall)
        }
        for delegation in toRecall { recall(delegation) }
        if conflicts { throw .delay }
    }

    private func recall(_ delegation: Delegation) {
        let handle = codec.encode(delegation.file)
        logger.debug("recalling delegation of inode \(delegation.file.inode) from client \(String(delegation.client, radix: 16))")
        Task {
            do {
                guard let channel = callbacks.channel(for: delegation.client) else { throw RPCCallError("no callback path") }
                _ = try await channel.compound([.recall(delegation.stateID, handle: handle)])
            } catch {
                // A holder that cannot be told cannot return it: revoked now rather than after a lease.
                logger.info("could not recall a delegation of inode \(delegation.file.inode): \(error); revoking it")
                state.with {
                    $0.revokeDelegation(delegation.stateID.other)
                    $0.setCallback(client: delegation.client, .down)
                }
            }
        }
    }

    /// When another client holds a write delegation of the file, the size and change it knows (written but
    /// not yet sent, RFC 8881 §10.4.3) are asked with CB_GETATTR: a holder whose change differs from the one
    /// it was granted at has written, and the file's change is reported one past the server's. A holder
    /// that does not answer leaves the server's figures.
    func holderAttributes(of handle: FileHandle, for requester: UInt64?, into attributes: inout Attributes) async {
        guard state.mayHaveDelegations,
              let delegation = state.with({ $0.writeDelegation(on: handle.inode, notHeldBy: requester) }),
              let channel = callbacks.channel(for: delegation.client) else { return }
        do {
            var d = try await channel.compound([.getattr(handle: codec.encode(handle), AttributeBitmap([Attr.change, Attr.size]))])
            let returned = try AttributeBitmap(decoding: &d)
            var values = XDRDecoder(try d.opaqueBuffer(max: 1024))
            let change = returned.contains(Attr.change) ? try values.u64() : delegation.changeAtGrant
            let size = returned.contains(Attr.size) ? try values.u64() : attributes.size
            if change != delegation.changeAtGrant {
                attributes.size = size
                attributes.change = max(attributes.change, delegation.changeAtGrant) &+ 1
            }
        } catch {
            logger.debug("CB_GETATTR of inode \(handle.inode) went unanswered: \(error)")
        }
    }

    /// Revokes delegations not returned within a lease of their recall, and forgets gone clients' paths.
    func maintainCallbacks() async {
        let overdue = state.with { t in
            let overdue = t.overdueDelegations(now: monotonicSeconds())
            for other in overdue { t.revokeDelegation(other) }
            return overdue.count
        }
        if overdue > 0 { logger.info("revoked \(overdue) delegation(s) not returned within a lease of their recall") }
        for channel in callbacks.prune(keeping: { client in state.with { $0.hasClient(client) } }) { await channel.close() }
    }
}
