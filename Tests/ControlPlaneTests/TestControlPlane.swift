@testable import ControlPlane
import FileSystem
import Foundation

/// A fresh directory for a control plane's store.
func scratchDirectory() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("cp-\(UUID())").path
}

/// The embedded engine at `dir` and a control plane over it whose resources settle at once.
func openControlPlane(at dir: String) async throws -> (StorageEngine, ControlPlane) {
    let engine = try await StorageEngine.openEmbedded(at: dir)
    return (engine, try await ControlPlane(engine: engine, network: .default, accountID: "111122223333", settleDelay: .zero))
}
