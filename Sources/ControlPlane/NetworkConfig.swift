import TOMLKit

public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ d: String) { description = d }
}

/// The network a self-hosted EFS lives in, from `strata serve --config FILE` (TOML):
///
///     region = "us-east-1"
///     [[subnets]]
///     id = "subnet-00000000000000a01"
///     cidr = "127.0.1.0/24"
///     availability_zone = "local-1a"
///     vpc = "vpc-00000000000000001"
///     [[security_groups]]
///     id = "sg-00000000000000def"
///     allow = ["0.0.0.0/0", "::/0"]
public struct NetworkConfig: Sendable {
    public struct Subnet: Sendable, Hashable {
        public var id: String
        public var cidr: CIDR
        public var availabilityZone: String
        public var vpc: String
        public var availabilityZoneID: String { "az-" + availabilityZone }
    }

    public struct SecurityGroup: Sendable, Hashable {
        public var id: String
        /// Sources allowed to reach port 2049.
        public var allow: [CIDR]
    }

    public var region: String
    public var subnets: [Subnet]
    public var securityGroups: [SecurityGroup]

    public static let `default` = NetworkConfig(
        region: "us-east-1",
        subnets: [
            Subnet(id: "subnet-00000000000000a01", cidr: CIDR("127.0.1.0/24")!, availabilityZone: "local-1a", vpc: "vpc-00000000000000001"),
            Subnet(id: "subnet-00000000000000b01", cidr: CIDR("127.0.2.0/24")!, availabilityZone: "local-1b", vpc: "vpc-00000000000000001"),
        ],
        securityGroups: [SecurityGroup(id: "sg-00000000000000def", allow: [CIDR("0.0.0.0/0")!, CIDR("::/0")!])])

    public init(region: String, subnets: [Subnet], securityGroups: [SecurityGroup]) {
        self.region = region; self.subnets = subnets; self.securityGroups = securityGroups
    }

    public static func parse(toml text: String) throws -> NetworkConfig {
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch { throw ConfigError("config is not valid TOML: \(error)") }
        var region = NetworkConfig.default.region
        if let value = table["region"] {
            guard let text = value.string else { throw ConfigError("region must be a string") }
            region = text
        }
        guard region.range(of: "^[a-z]{2}(-[a-z]+)+-[0-9]+$", options: .regularExpression) != nil else {
            throw ConfigError("region \(region) is not a region name like us-east-1")
        }
        var subnets: [Subnet] = []
        for item in table["subnets"]?.array ?? TOMLArray() {
            guard let t = item.table, let id = t["id"]?.string, let cidrText = t["cidr"]?.string,
                  let zone = t["availability_zone"]?.string, let vpc = t["vpc"]?.string else {
                throw ConfigError("each [[subnets]] needs id, cidr, availability_zone and vpc")
            }
            guard id.range(of: "^subnet-[0-9a-f]{8,40}$", options: .regularExpression) != nil else { throw ConfigError("bad subnet id \(id)") }
            guard vpc.range(of: "^vpc-[0-9a-f]{8,40}$", options: .regularExpression) != nil else { throw ConfigError("bad vpc id \(vpc)") }
            guard let cidr = CIDR(cidrText), cidr.address.count == 4 else { throw ConfigError("subnet \(id): bad IPv4 cidr \(cidrText)") }
            subnets.append(Subnet(id: id, cidr: cidr, availabilityZone: zone, vpc: vpc))
        }
        var groups: [SecurityGroup] = []
        for item in table["security_groups"]?.array ?? TOMLArray() {
            guard let t = item.table, let id = t["id"]?.string else { throw ConfigError("each [[security_groups]] needs an id") }
            guard id.range(of: "^sg-[0-9a-f]{8,40}$", options: .regularExpression) != nil else { throw ConfigError("bad security group id \(id)") }
            var allow: [CIDR] = []
            for source in t["allow"]?.array ?? TOMLArray() {
                guard let text = source.string, let cidr = CIDR(text) else { throw ConfigError("security group \(id): bad cidr in allow") }
                allow.append(cidr)
            }
            groups.append(SecurityGroup(id: id, allow: allow))
        }
        if subnets.isEmpty { subnets = NetworkConfig.default.subnets }
        if groups.isEmpty { groups = NetworkConfig.default.securityGroups }
        guard Set(subnets.map(\.id)).count == subnets.count, Set(groups.map(\.id)).count == groups.count else {
            throw ConfigError("subnet and security group ids must be unique")
        }
        return NetworkConfig(region: region, subnets: subnets, securityGroups: groups)
    }

    public func subnet(_ id: String) -> Subnet? { subnets.first { $0.id == id } }
    public func securityGroup(_ id: String) -> SecurityGroup? { securityGroups.first { $0.id == id } }
    public var zones: Set<String> { Set(subnets.map(\.availabilityZone)) }
}
