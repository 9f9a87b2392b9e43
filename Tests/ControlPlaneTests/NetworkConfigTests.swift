@testable import ControlPlane
import Testing

@Suite struct NetworkConfigTests {
    @Test func theDocumentedShapeParses() throws {
        let config = try NetworkConfig.parse(toml: """
            region = "eu-west-3"
            # two zones
            [[subnets]]
            id = "subnet-0000000000000aa01"
            cidr = "10.1.0.0/24"
            availability_zone = "eu-west-3a"
            vpc = "vpc-0000000000000abcd"

            [[subnets]]
            id = "subnet-0000000000000bb01"
            cidr = "10.1.1.0/24"
            availability_zone = "eu-west-3b"
            vpc = "vpc-0000000000000abcd"

            [[security_groups]]
            id = "sg-0000000000000f00d"
            allow = ["10.0.0.0/8", "192.168.7.0/24"]
            """)
        #expect(config.region == "eu-west-3" && config.subnets.count == 2 && config.zones == ["eu-west-3a", "eu-west-3b"])
        let group = try #require(config.securityGroup("sg-0000000000000f00d"))
        #expect(group.allow.contains { $0.contains("10.200.3.4") } && !group.allow.contains { $0.contains("172.16.0.1") })
    }

    @Test func theDefaultsServeOneMachineOverLoopback() {
        let d = NetworkConfig.default
        #expect(d.region == "us-east-1")
        #expect(d.subnet("subnet-00000000000000a01")?.cidr.description == "127.0.1.0/24")
        #expect(d.subnet("subnet-00000000000000b01")?.availabilityZone == "local-1b")
        #expect(d.securityGroup("sg-00000000000000def")?.allow.contains { $0.contains("203.0.113.9") } == true)
    }

    @Test(arguments: [
        "region = 5",
        "region = \"not a region\"",
        "[[subnets]]\nid = \"subnet-1\"\ncidr = \"10.0.0.0/24\"\navailability_zone = \"a\"\nvpc = \"vpc-0000000000000001\"",
        "[[subnets]]\nid = \"subnet-0000000000000001\"\ncidr = \"10.0.0.0/33\"\navailability_zone = \"a\"\nvpc = \"vpc-0000000000000001\"",
        "[[subnets]]\nid = \"subnet-0000000000000001\"\ncidr = \"10.0.0.0/24\"",
        "[[security_groups]]\nid = \"sg-00000001\"\nallow = [\"everything\"]",
        "this is = not toml [",
    ])
    func badConfigurationsAreRefusedWithAReason(text: String) {
        #expect(throws: (any Error).self) { _ = try NetworkConfig.parse(toml: text) }
    }

    @Test func cidrsMatchAddressesAndListHostsAsAWSReservesThem() throws {
        let net = try #require(CIDR("127.0.1.0/24"))
        #expect(net.contains("127.0.1.200") && !net.contains("127.0.2.1") && !net.contains("::1"))
        let hosts = net.hostAddresses()
        #expect(hosts.first == "127.0.1.4" && hosts.last == "127.0.1.254" && hosts.count == 251)
        let v6 = try #require(CIDR("fd00::/64"))
        #expect(v6.contains("fd00::1234") && !v6.contains("fd01::1"))
        #expect(CIDR("10.0.0.0") == nil && CIDR("300.0.0.0/8") == nil)
    }

    @Test func addressesPrintAsPeopleWriteThem() throws {
        #expect(try #require(CIDR("::/0")).description == "::/0")
        #expect(try #require(CIDR("0.0.0.0/0")).description == "0.0.0.0/0")
        #expect(try #require(CIDR("fd00:0:0:1::/64")).description == "fd00:0:0:1::/64")
        #expect(CIDR.format(try #require(CIDR.parseAddress("2001:db8:0:0:1:0:0:1"))) == "2001:db8::1:0:0:1")
        #expect(CIDR.format(try #require(CIDR.parseAddress("::1"))) == "::1")
        #expect(CIDR.format(try #require(CIDR.parseAddress("2001:db8:0:1:1:1:1:1"))) == "2001:db8:0:1:1:1:1:1")
    }
}
