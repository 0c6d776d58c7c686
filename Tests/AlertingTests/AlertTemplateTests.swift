import SluiceModel
import Testing
@testable import Alerting

/// The Go-template forms rule files use, expanded as Prometheus expands them.
@Suite struct AlertTemplateTests {
    static let data = AlertTemplate.Data(
        labels: ["__name__": "node_load1", "instance": "h1:9100", "host": "h1.example.net"], value: 0.9731,
        externalLabels: ["cluster": "eu1"], externalURL: "http://sluice:8080")

    func expand(_ text: String, value: Double? = nil) throws -> String {
        var data = Self.data
        if let value { data.value = value }
        return try AlertTemplate(text).expand(data)
    }

    @Test func variablesAndFields() throws {
        #expect(try expand("{{ $labels.instance }} / {{ .Labels.instance }}") == "h1:9100 / h1:9100")
        #expect(try expand("{{ $value }} {{ .Value }}") == "0.9731 0.9731")
        #expect(try expand("{{$externalLabels.cluster}} {{ .ExternalLabels.cluster }} {{ $externalURL }}") == "eu1 eu1 http://sluice:8080")
        #expect(try expand("[{{ $labels.missing }}]") == "[]")
        #expect(try expand("plain text, no action") == "plain text, no action")
    }

    @Test func valuesPrintAsGoPrintsThem() throws {
        #expect(try expand("{{ $value }}", value: 100) == "100")
        #expect(try expand("{{ $value }}", value: 1_234_567) == "1.234567e+06")
        #expect(try expand("{{ $value }}", value: 0.00001) == "1e-05")
        #expect(try expand("{{ $value }}", value: -0.5) == "-0.5")
        #expect(try expand("{{ $value }}", value: .nan) == "NaN")
        #expect(try expand("{{ $value }}", value: .infinity) == "+Inf")
    }

    @Test func humanizeFunctions() throws {
        #expect(try expand("{{ $value | humanize }}", value: 1_234_567) == "1.235M")
        #expect(try expand("{{ humanize $value }}", value: 0.0012) == "1.2m")
        #expect(try expand("{{ $value | humanize }}", value: 0) == "0")
        #expect(try expand("{{ $value | humanize1024 }}", value: 1_048_576) == "1Mi")
        #expect(try expand("{{ $value | humanizePercentage }}") == "97.31%")
        #expect(try expand("{{ $value | humanizeDuration }}", value: 3725) == "1h 2m 5s")
        #expect(try expand("{{ $value | humanizeDuration }}", value: 90_061) == "1d 1h 1m 1s")
        #expect(try expand("{{ $value | humanizeDuration }}", value: 0.25) == "250ms")
        #expect(try expand("{{ $value | humanizeDuration }}", value: 12.5) == "12.5s")
        #expect(try expand("{{ $value | humanizeTimestamp }}", value: 1_700_000_000.5) == "2023-11-14 22:13:20.5 +0000 UTC")
    }

    @Test func printfAndStringFunctions() throws {
        #expect(try expand("{{ printf \"%.2f\" $value }}") == "0.97")
        #expect(try expand("{{ printf \"%s is %.1f%%\" $labels.host $value }}") == "h1.example.net is 1.0%")
        #expect(try expand("{{ printf \"%d\" $value }}") == "%!d(float64=0.9731)")
        #expect(try expand("{{ printf \"%5.1f|%-4s|\" $value \"ab\" }}") == "  1.0|ab  |")
        #expect(try expand("{{ $labels.host | toUpper }}") == "H1.EXAMPLE.NET")
        #expect(try expand("{{ title \"disk almost full\" }}") == "Disk Almost Full")
        #expect(try expand("{{ $labels.instance | stripPort }}") == "h1")
        #expect(try expand("{{ stripDomain $labels.host }}") == "h1")
        #expect(try expand("{{ reReplaceAll \":[0-9]+$\" \"\" $labels.instance }}") == "h1")
        #expect(try expand("{{ reReplaceAll \"(h)([0-9])\" \"$2-$1\" \"h1 h2\" }}") == "1-h 2-h")
        #expect(try expand("{{ index $labels \"host\" }}") == "h1.example.net")
    }

    @Test func conditionalsAndTrimming() throws {
        let text = "{{ if gt $value 0.9 }}high{{ else if gt $value 0.5 }}medium{{ else }}low{{ end }}"
        #expect(try expand(text) == "high")
        #expect(try expand(text, value: 0.6) == "medium")
        #expect(try expand(text, value: 0.1) == "low")
        #expect(try expand("a  {{- \" b \" -}}  c") == "a b c")
        let commented = try expand("x{{/* a comment */}}y")
        #expect(commented == "xy")
        #expect(try expand("{{ if eq $labels.host \"h1.example.net\" }}match{{ end }}") == "match")
        #expect(try expand("{{ if and (gt $value 0.5) (lt $value 1) }}in{{ end }}") == "in")
    }

    @Test func queryUsesTheEvaluator() throws {
        let evaluator = FakeEvaluator()
        evaluator.set("up", [(["job": "node"], 1)])
        var data = Self.data
        data.evaluator = evaluator
        data.time = 42_000
        #expect(try AlertTemplate("{{ query \"up\" | first | value }}").expand(data) == "1")
        #expect(try AlertTemplate("{{ query \"up\" | first | label \"job\" }}").expand(data) == "node")
        #expect(evaluator.calls.map(\.1) == [42_000, 42_000])
    }

    @Test func errorsAtLoadTime() {
        func failure(_ text: String) -> String? {
            do { _ = try AlertTemplate(text); return nil } catch { return error.description }
        }
        #expect(failure("{{ $value | nosuchfunc }}")?.contains("function \"nosuchfunc\" not defined") == true)
        #expect(failure("{{ $nosuch }}")?.contains("undefined variable \"$nosuch\"") == true)
        #expect(failure("{{ .Nope }}")?.contains("can't evaluate field Nope") == true)
        #expect(failure("{{ $value ")?.contains("unclosed action") == true)
        #expect(failure("{{ if $value }}x")?.contains("{{if}} without {{end}}") == true)
        #expect(failure("{{ end }}")?.contains("unexpected {{end}}") == true)
        #expect(failure("{{ humanize }}")?.contains("wrong number of args for humanize: want 1 got 0") == true)
        #expect(failure("{{ range $labels }}{{ end }}")?.contains("not supported") == true)
        #expect(failure("{{ \"unterminated }}")?.contains("unclosed action") == true)
    }

    @Test func valueErrorsShowInline() throws {
        #expect(try expand("{{ humanize $labels.host }}").hasPrefix("<error expanding template: "))
        #expect(try expand("{{ humanize \"1200\" }}") == "1.2k")
    }
}
