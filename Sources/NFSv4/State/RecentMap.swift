/// A map that remembers only its latest `capacity` insertions: once full, each new key forgets the oldest.
/// A ring, so no insertion shifts the whole list under the lock every call takes.
struct RecentMap<Key: Hashable, Value> {
    private var values: [Key: Value] = [:]
    private var order: [Key] = []
    private var next = 0
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    subscript(key: Key) -> Value? { values[key] }

    mutating func remember(_ key: Key, _ value: Value) {
        if values.updateValue(value, forKey: key) != nil { return }
        if order.count < capacity {
            order.append(key)
        } else {
            values[order[next]] = nil
            order[next] = key
            next = (next + 1) % capacity
        }
    }
}
