import NIOCore

struct CreateSessionResult: Sendable {
    var sessionID: SessionID
    var sequence: UInt32
    var flags: UInt32
    var fore: ChannelAttributes
    var back: ChannelAttributes
}

enum SequenceOutcome {
    case execute(maxResponseSize: UInt32, maxResponseSizeCached: UInt32, highestSlot: UInt32, client: UInt64, flags: UInt32)
    /// A retransmission: answer with the reply sent the first time.
    case replay(ByteBuffer)
    case failure(NFSStatus)
}

/// Server limits offered at CREATE_SESSION.
enum SessionLimits {
    static let maxRequestSize: UInt32 = UInt32(NFSProtocol.maxIO) + 64 * 1024
    static let maxResponseSize: UInt32 = UInt32(NFSProtocol.maxIO) + 64 * 1024
    static let maxResponseSizeCached: UInt32 = 64 * 1024
    static let maxOperations: UInt32 = 64
    static let maxSlots: UInt32 = 64
    static let maxSessionsPerClient = 16
}

/// EXCHANGE_ID, CREATE_SESSION, SEQUENCE and friends (RFC 8881 §18.35–18.37, §18.46, §18.50).
extension StateTables {
    /// EXCHANGE_ID's cases (RFC 8881 §18.35.5). With `update` (EXCHGID4_FLAG_UPD_CONFIRMED_REC_A) only a
    /// confirmed record of the same principal and verifier is renewed. Without it: the same verifier and
    /// principal find the record again; a new verifier means the client rebooted (a new record, replacing the
    /// old once confirmed); another principal may not take over a confirmed record that holds state.
    mutating func exchangeID(owner: [UInt8], verifier: [UInt8], principal: String = "", update: Bool = false,
                             source: String? = nil, now: Double) throws(NFSStatus) -> (client: UInt64, sequence: UInt32, confirmed: Bool) {
        let existing = clientsByOwner[owner].flatMap { clients[$0] }
        if update {
            guard let client = existing, client.confirmed else { throw .noent }
            guard client.principal == principal else { throw .perm }
            guard client.verifier == verifier else { throw .notSame }
            clients[client.id]!.lastRenewal = now
            return (client.id, client.createSessionSequence, true)
        }
        if let client = existing {
            if client.confirmed && client.principal != principal && holdsState(client) { throw .clidInuse }
            if client.verifier == verifier && client.principal == principal {
                clients[client.id]!.lastRenewal = now
                return (client.id, client.createSessionSequence, client.confirmed)
            }
            if !client.confirmed { removeClient(client.id) }
            let fresh = newClient(owner: owner, verifier: verifier, source: source, now: now, replaces: client.confirmed ? client.id : nil)
            clients[fresh]!.principal = principal
            clients[fresh]!.sessions41 = true
            return (fresh, 1, false)
        }
        let fresh = newClient(owner: owner, verifier: verifier, source: source, now: now, replaces: nil)
        clients[fresh]!.principal = principal
        clients[fresh]!.sessions41 = true
        return (fresh, 1, false)
    }

    /// Sessions, opens or locks: what another principal's EXCHANGE_ID may not take away.
    private func holdsState(_ client: Client) -> Bool {
        !client.sessions.isEmpty || opens.values.contains { $0.owner.client == client.id }
            || lockStates.values.contains { $0.owner.client == client.id }
    }

    /// A new client record; its id carries the boot epoch, so ids of an earlier boot are recognisably stale.
    mutating func newClient(owner: [UInt8], verifier: [UInt8], source: String?, now: Double, replaces: UInt64?,
                            confirm: [UInt8]? = nil) -> UInt64 {
        makeRoomForUnconfirmed(from: source)
        let id = UInt64(epoch) << 32 | (nextCounter & 0xFFFF_FFFF)
        nextCounter += 1
        var client = Client(id: id, owner: owner, verifier: verifier, lastRenewal: now, replaces: replaces)
        client.confirmVerifier = confirm
        client.source = source
        clients[id] = client
        clientsByOwner[owner] = id
        unconfirmedQueue.append(id)
        unconfirmedCount += 1
        if let source { unconfirmedBySource[source, default: []].append(id) }
        return id
    }

    /// Evicts the oldest unconfirmed records of `source`, and then of everyone, past their bounds.
    private mutating func makeRoomForUnconfirmed(from source: String?) {
        if let source, let mine = unconfirmedBySource[source], mine.count >= Self.maxUnconfirmedPerSource {
            removeClient(mine[0])
        }
        while unconfirmedCount >= Self.maxUnconfirmed, unconfirmedQueueStart < unconfirmedQueue.count {
            let oldest = unconfirmedQueue[unconfirmedQueueStart]
            unconfirmedQueueStart += 1
            if let client = clients[oldest], !client.confirmed { removeClient(oldest) }
        }
        // Entries of records confirmed or gone since are dropped now and then, so the queue stays within twice
        // the records it stands for (amortized: once per maxUnconfirmed new records at most).
        if unconfirmedQueue.count - unconfirmedQueueStart >= 2 * Self.maxUnconfirmed {
            unconfirmedQueue = unconfirmedQueue[unconfirmedQueueStart...].filter { clients[$0]?.confirmed == false }
            unconfirmedQueueStart = 0
        }
    }

    /// A record leaves the unconfirmed (confirmed, or removed while unconfirmed).
    mutating func forgetUnconfirmed(_ client: Client) {
        unconfirmedCount -= 1
        if let source = client.source {
            unconfirmedBySource[source]?.removeAll { $0 == client.id }
            if unconfirmedBySource[source]?.isEmpty == true { unconfirmedBySource[source] = nil }
        }
    }

    /// Unconfirmed client records held now.
    var unconfirmedClients: Int { unconfirmedCount }

    /// The smallest request and reply a session must allow: a SEQUENCE and an operation or two with their
    /// RPC headers (RFC 8881 §18.36.3: smaller channels are NFS4ERR_TOOSMALL).
    static let minimumRequestSize: UInt32 = 256
    static let minimumResponseSize: UInt32 = 256

    mutating func createSession(client id: UInt64, sequence: UInt32, fore: ChannelAttributes, back: ChannelAttributes,
                                principal: String? = nil, backChannel: Bool = false, callbackProgram: UInt32 = 0,
                                now: Double) throws(NFSStatus) -> CreateSessionResult {
        guard var client = clients[id] else { throw .staleClientid }
        // Only the principal that created the client id may make its sessions (RFC 8881 §18.36.4).
        if let principal, client.principal != principal { throw .clidInuse }
        if sequence == client.createSessionSequence &- 1, let last = client.lastCreateSession { return last }
        guard sequence == client.createSessionSequence else { throw .seqMisordered }
        guard client.sessions.count < SessionLimits.maxSessionsPerClient else { throw .resource }
        guard fore.maxRequests > 0 else { throw .inval }
        guard fore.maxRequestSize >= Self.minimumRequestSize, fore.maxResponseSize >= Self.minimumResponseSize,
              fore.maxOperations >= 2 else { throw .toosmall }
        var agreed = fore
        agreed.headerPadSize = 0
        agreed.maxRequestSize = min(fore.maxRequestSize, SessionLimits.maxRequestSize)
        agreed.maxResponseSize = min(fore.maxResponseSize, SessionLimits.maxResponseSize)
        agreed.maxResponseSizeCached = min(fore.maxResponseSizeCached, SessionLimits.maxResponseSizeCached)
        agreed.maxOperations = min(fore.maxOperations, SessionLimits.maxOperations)
        agreed.maxRequests = min(fore.maxRequests, SessionLimits.maxSlots)
        var backAgreed = back
        backAgreed.headerPadSize = 0
        var idBytes: [UInt8] = []
        withUnsafeBytes(of: epoch.bigEndian) { idBytes += $0 }
        withUnsafeBytes(of: nextCounter.bigEndian) { idBytes += $0 }
        withUnsafeBytes(of: UInt32.random(in: 0...UInt32.max)) { idBytes += $0 }
        nextCounter += 1
        let sessionID = SessionID(bytes: idBytes)
        sessions[sessionID] = Session(id: sessionID, client: id, fore: agreed,
                                      slots: Array(repeating: Slot(), count: Int(agreed.maxRequests)),
                                      callbackProgram: callbackProgram)
        // The back channel on the connection that asked for it; no persistent reply cache, no RDMA.
        let result = CreateSessionResult(sessionID: sessionID, sequence: sequence, flags: backChannel ? 0x2 : 0,
                                         fore: agreed, back: backAgreed)
        client.sessions.insert(sessionID)
        client.createSessionSequence &+= 1
        client.lastCreateSession = result
        clients[id] = client
        confirm(id, now: now)
        return result
    }

    /// Confirms a client record; the record it replaces (the same client before it rebooted) goes, with
    /// all its state.
    mutating func confirm(_ id: UInt64, now: Double) {
        guard var client = clients[id] else { return }
        if !client.confirmed { forgetUnconfirmed(client) }
        client.confirmed = true
        client.lastRenewal = now
        let replaced = client.replaces
        client.replaces = nil
        clients[id] = client
        if let replaced { removeClient(replaced); clientsByOwner[client.owner] = id }
    }

    /// Changed in place (through the dictionary's storage): a session copied out and written back copied
    /// its slot table on every SEQUENCE, inside the lock every call of every client takes.
    mutating func sequence(session id: SessionID, sequence: UInt32, slot: UInt32, operations: UInt32 = 1,
                           requestSize: Int = 0, now: Double) -> SequenceOutcome {
        guard let at = sessions.index(forKey: id) else { return .failure(.badsession) }
        let outcome = sessions.values[at].begin(sequence: sequence, slot: slot, operations: operations, requestSize: requestSize)
        guard case .execute(let maxResponse, let maxCached, let highest, let client, _) = outcome else { return outcome }
        clients[client]?.lastRenewal = now
        return .execute(maxResponseSize: maxResponse, maxResponseSizeCached: maxCached, highestSlot: highest,
                        client: client, flags: sequenceFlags(client: client))
    }

    /// Ends the request in a slot, keeping its reply for retransmissions when asked to. A reply larger
    /// than the agreed cached size is not kept (a retransmission then gets RETRY_UNCACHED_REP), which
    /// bounds the cache to slots × maxResponseSizeCached per session.
    mutating func finishSequence(session id: SessionID, slot: UInt32, reply: ByteBuffer?) {
        guard let at = sessions.index(forKey: id) else { return }
        sessions.values[at].finish(slot: slot, reply: reply)
    }

    mutating func destroySession(_ id: SessionID) throws(NFSStatus) {
        guard let session = sessions.removeValue(forKey: id) else { throw .badsession }
        clients[session.client]?.sessions.remove(id)
    }

    mutating func destroyClient(_ id: UInt64) throws(NFSStatus) {
        guard let client = clients[id] else { throw .staleClientid }
        guard client.sessions.isEmpty else { throw .clientidBusy }
        removeClient(id)
    }

    /// RECLAIM_COMPLETE; grace ends early once every client known before the restart has said it.
    mutating func reclaimComplete(client id: UInt64, now: Double) throws(NFSStatus) {
        guard clients[id] != nil else { throw .staleClientid }
        if clients[id]!.reclaimComplete { throw .completeAlready }
        clients[id]!.reclaimComplete = true
        reclaimable.remove(clients[id]!.owner)
        if reclaimable.isEmpty { graceEnds = min(graceEnds, now) }
    }

    func sessionExists(_ id: SessionID) -> Bool { sessions[id] != nil }

    /// The client of a session and the program its callbacks carry.
    func callbackTarget(of id: SessionID) -> (client: UInt64, program: UInt32)? {
        sessions[id].map { ($0.client, $0.callbackProgram) }
    }

    mutating func setCallbackProgram(_ program: UInt32, session id: SessionID) { sessions[id]?.callbackProgram = program }

    /// NFS4ERR_GRACE for new state during grace; NO_GRACE / RECLAIM_BAD for reclaims that cannot be.
    func checkGrace(client id: UInt64, reclaim: Bool, now: Double) throws(NFSStatus) {
        let inGrace = inGrace(now)
        guard reclaim else {
            // Also outside grace: an NFSv4.1 client locks nothing new before its RECLAIM_COMPLETE (§18.51.3).
            if inGrace || clients[id].map({ $0.sessions41 && !$0.reclaimComplete }) == true { throw .grace }
            return
        }
        guard inGrace, let client = clients[id], !client.reclaimComplete else { throw .noGrace }
        guard restartedOwners.contains(client.owner) else { throw .reclaimBad }
    }
}

extension StateTables.Session {
    /// SEQUENCE's slot check (RFC 8881 §18.46.3): the next sequence id starts a request, the same one is a
    /// retransmission. A SEQUENCE that fails leaves the slot as it was, so the client's corrected retry of
    /// the same sequence id is not mistaken for a retransmission.
    mutating func begin(sequence: UInt32, slot: UInt32, operations: UInt32, requestSize: Int = 0) -> SequenceOutcome {
        guard slot < slots.count else { return .failure(.badslot) }
        // More operations, or more bytes, than the session allows (SEQUENCE included, RFC 8881 §2.10.6.4).
        guard operations <= fore.maxOperations else { return .failure(.tooManyOps) }
        guard requestSize <= Int(fore.maxRequestSize) else { return .failure(.reqTooBig) }
        let entry = slots[Int(slot)]
        if sequence == entry.sequence &+ 1 {
            if entry.inProgress { return .failure(.seqMisordered) }
            slots[Int(slot)] = StateTables.Slot(sequence: sequence, inProgress: true)
        } else if sequence == entry.sequence {
            if entry.inProgress { return .failure(.delay) }
            if let cached = entry.cachedReply { return .replay(cached) }
            return .failure(.retryUncachedRep)
        } else {
            return .failure(.seqMisordered)
        }
        return .execute(maxResponseSize: fore.maxResponseSize, maxResponseSizeCached: fore.maxResponseSizeCached,
                        highestSlot: UInt32(slots.count - 1), client: client, flags: 0)
    }

    mutating func finish(slot: UInt32, reply: ByteBuffer?) {
        guard slot < slots.count else { return }
        slots[Int(slot)].inProgress = false
        let fits = (reply?.readableBytes ?? 0) <= Int(fore.maxResponseSizeCached)
        slots[Int(slot)].cachedReply = fits ? reply : nil
    }
}
