/// An EFS API error: its code (the model's error shape name), a message, and any extra members the
/// shape carries (FileSystemAlreadyExists carries FileSystemId). The HTTP status comes from the model.
public struct APIError: Error, Sendable {
    public var code: String
    public var message: String
    public var fields: [String: String]

    public init(_ code: String, _ message: String, fields: [String: String] = [:]) {
        self.code = code; self.message = message; self.fields = fields
    }

    /// A request the model accepts that this operation cannot take: EFS's BadRequest (400).
    static func badRequest(_ message: String) -> APIError { APIError("BadRequest", message) }
    static func fileSystemNotFound(_ id: String) -> APIError { APIError("FileSystemNotFound", "File system '\(id)' does not exist.") }
    static func mountTargetNotFound(_ id: String) -> APIError { APIError("MountTargetNotFound", "Mount target '\(id)' does not exist.") }
    static func accessPointNotFound(_ id: String) -> APIError { APIError("AccessPointNotFound", "Access point '\(id)' does not exist.") }
}
