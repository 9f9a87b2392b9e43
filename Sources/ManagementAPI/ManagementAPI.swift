import ControlPlane
import Foundation
import IAM
import JSONValue
import Logging

/// An HTTP response before it is written.
public struct APIResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]
}

/// The EFS REST-JSON API: route → authenticate (SigV4) → decode and validate against the model → resolve
/// resource ARNs to ids → authorize (IAM policies) → run on the control plane → shape the reply or the error as EFS does.
public struct ManagementAPI: Sendable {
    public let control: ControlPlane
    public let identities: IdentityStore
    public let region: String
    let router = Router()
    let logger = Logger(label: "strata.api")
    /// The clock requests are checked against (tests move it).
    let now: @Sendable () -> Date

    /// Fails when one of the model's patterns does not compile: validation would otherwise let through
    /// whatever that pattern was meant to refuse.
    public init(control: ControlPlane, identities: IdentityStore, region: String, now: @escaping @Sendable () -> Date = Date.init) throws {
        if case .failure(let error) = Validator.compiledPatterns { throw error }
        self.control = control; self.identities = identities; self.region = region; self.now = now
    }

    public func handle(_ request: SignedRequest) async -> APIResponse {
        let requestID = UUID().uuidString.lowercased()
        guard let (spec, labels) = router.match(method: request.method, path: request.path) else {
            let code = router.pathExists(request.path) ? "MethodNotAllowed" : "UnknownOperationException"
            return error(code, "No operation matches \(request.method) \(request.path).", status: router.pathExists(request.path) ? 405 : 404,
                         requestID: requestID)
        }
        let user: String
        do {
            let keyID = try SigV4.verify(request, region: region, service: "elasticfilesystem", now: now()) { identities.lookup(accessKey: $0)?.secret }
            user = identities.lookup(accessKey: keyID)!.user
        } catch {
            return self.error(error.code, error.message, status: error.httpStatus, requestID: requestID)
        }
        do {
            var input = try RequestDecoder.input(for: spec, labels: labels, query: request.query, body: request.body)
            if let inputShape = spec.input, let problem = Validator.validate(input, shape: inputShape) {
                throw APIError("BadRequest", problem)
            }
            input = try ResourceIDs.resolve(input, region: region, account: control.accountID)
            let userARN = identities.userARN(user)
            let context = Authorization.context(spec.name, input, user: user, userARN: userARN, control: control)
            guard PolicyEvaluator.evaluate(identities.policies(of: user), context) == .allow else {
                return error("AccessDeniedException",
                             "User: \(userARN) is not authorized to perform: \(context.action) on resource: \(context.resource)",
                             status: 403, requestID: requestID)
            }
            let output = try await Dispatch.run(spec.name, input, on: control)
            let body = output == .null ? [] : output.serialized()
            return APIResponse(status: spec.status, headers: [("Content-Type", "application/json"), ("x-amzn-RequestId", requestID)],
                               body: body)
        } catch let apiError as APIError {
            var body: [String: JSON] = ["ErrorCode": .string(apiError.code), "Message": .string(apiError.message)]
            for (k, v) in apiError.fields { body[k] = .string(v) }
            return APIResponse(status: EFSModel.errorStatus[apiError.code] ?? 400,
                               headers: [("Content-Type", "application/json"), ("x-amzn-ErrorType", apiError.code),
                                         ("x-amzn-RequestId", requestID)],
                               body: JSON.object(body).serialized())
        } catch {
            logger.error("internal error in \(spec.name): \(error)")
            return self.error("InternalServerError", "An internal error occurred.", status: 500, requestID: requestID)
        }
    }

    func error(_ code: String, _ message: String, status: Int, requestID: String) -> APIResponse {
        let body: JSON = ["ErrorCode": .string(code), "Message": .string(message), "message": .string(message)]
        return APIResponse(status: status, headers: [("Content-Type", "application/json"), ("x-amzn-ErrorType", code),
                                                     ("x-amzn-RequestId", requestID)], body: body.serialized())
    }
}
