import Agent
import Testing

@Suite struct AgentConfigTests {
    @Test func fullConfigurationParses() throws {
        let config = try AgentConfig.parse(yaml: """
            host: web-1
            state_dir: /tmp/agent-state
            kafka:
              bootstrap: 10.0.0.1:9092,10.0.0.2:9092
              compression: zstd
              linger: 5ms
              librdkafka: {socket.keepalive.enable: "true"}
            delivery:
              window_bytes: 8MiB
              window_events: 1000
            inputs:
              - type: file
                name: app
                paths: [/var/log/app/*.log]
                exclude: ["*.gz"]
                start_at: beginning
                max_line_bytes: 32KiB
                multiline: {start_pattern: '^\\d{4}-', timeout: 500ms, max_bytes: 1MiB}
                labels: {service: app}
              - type: journald
                units: [nginx, ssh.service]
                max_priority: warning
              - type: host_metrics
                interval: 15s
            """, source: "test.yml")
        #expect(config.host == "web-1")
        #expect(config.kafka.compression == "zstd")
        #expect(config.kafka.compressionLevel == 1)
        #expect(config.kafka.lingerNanoseconds == 5_000_000)
        #expect(config.delivery.windowBytes == 8 << 20)
        #expect(config.inputs.map(\.name) == ["app", "journald-1", "host_metrics-2"])
        guard case .file(let file) = config.inputs[0], case .journald(let journal) = config.inputs[1],
              case .hostMetrics(let metrics) = config.inputs[2] else { Issue.record("wrong input types"); return }
        #expect(file.startAt == .beginning)
        #expect(file.maxLineBytes == 32 << 10)
        #expect(file.multiline?.timeoutNanoseconds == 500_000_000)
        #expect(file.labels["service"] == "app")
        #expect(journal.maxPriority == 4)
        #expect(metrics.intervalNanoseconds == 15_000_000_000)
    }

    @Test func compressionDefaults() throws {
        let minimal = try AgentConfig.parse(yaml: "inputs: [{type: host_metrics}]", source: "t")
        #expect(minimal.kafka.compression == "zstd" && minimal.kafka.compressionLevel == 1)
        #expect(minimal.kafka.acks == "all")
        let lz4 = try AgentConfig.parse(yaml: "kafka: {compression: lz4}\ninputs: [{type: host_metrics}]", source: "t")
        #expect(lz4.kafka.compressionLevel == nil)
        let gzip = try AgentConfig.parse(yaml: "kafka: {compression: gzip}\ninputs: [{type: host_metrics}]", source: "t")
        #expect(gzip.kafka.compressionLevel == 1)
    }

    @Test(arguments: [
        ("inputs: [{type: file, paths: [/a], colour: red}]", "unknown key 'inputs[0].colour'"),
        ("kafka: {bootstrapp: x}\ninputs: [{type: host_metrics}]", "unknown key 'kafka.bootstrapp'"),
        ("inputs: [{type: tcp}]", "inputs[0].type: 'tcp' is not one of"),
        ("inputs: [{type: file, paths: [relative.log]}]", "must be an absolute path"),
        ("inputs: [{type: file, paths: [/a], max_line_bytes: lots}]", "inputs[0].max_line_bytes must be a size"),
        ("inputs: [{type: file, paths: [/a], multiline: {start_pattern: '(['}}]", "not a valid regular expression"),
        ("inputs: [{type: journald, max_priority: loud}]", "max_priority: 'loud'"),
        ("inputs: [{type: host_metrics, interval: 0s}]", "interval: 0s is outside"),
        ("kafka: {compression: brotli}\ninputs: [{type: host_metrics}]", "'brotli' is not one of"),
        ("inputs: []", "at least one input"),
        ("inputs: [{type: host_metrics, name: a}, {type: journald, name: a}]", "used by two inputs"),
    ])
    func badConfigurationsAreRefusedWithThePath(yaml: String, expected: String) {
        do {
            _ = try AgentConfig.parse(yaml: yaml, source: "bad.yml")
            Issue.record("accepted: \(yaml)")
        } catch {
            #expect("\(error)".contains(expected), "\(error)")
            #expect("\(error)".hasPrefix("bad.yml: "))
        }
    }
}
