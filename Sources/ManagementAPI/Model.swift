/// The EFS API model (generated into `Generated/EFSModel.swift` by scripts/generate-efs-model).
enum EFSModel {}

struct OperationSpec: Sendable {
    let name: String
    let method: String
    let path: String
    let status: Int
    let input: String?
    let output: String?
}

struct Member: Sendable {
    let name: String
    let shape: String
    /// nil (the JSON body), "uri" or "querystring".
    let location: String?
    let locationName: String?
}

enum Shape: Sendable {
    case structure(members: [Member], required: [String])
    case list(member: String, min: Int?, max: Int?)
    case map(key: String, value: String, min: Int?, max: Int?)
    case string(min: Int?, max: Int?, pattern: String?, values: [String]?)
    case integer(min: Int?, max: Int?)
    case double(min: Double?, max: Double?)
    case boolean
    case timestamp
}
