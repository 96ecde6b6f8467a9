import EdgeSyncModels
import Testing

@Suite("RFC 3339 timestamps")
struct TimestampTests {
    @Test func parsesFractionsToNanoseconds() throws {
        let ts = try #require(Timestamp(rfc3339: "2026-04-28T09:00:01.123456789Z"))
        #expect(ts.nanoseconds == 123_456_789)
        #expect(ts.seconds == 1_777_366_801)
        #expect(Timestamp(rfc3339: "2026-04-28T09:00:01.5Z")?.nanoseconds == 500_000_000)
        #expect(Timestamp(rfc3339: "2026-04-28T09:00:01.1234567891Z") == nil)
        #expect(Timestamp(rfc3339: "2026-04-28T09:00:01.Z") == nil)
    }

    @Test func comparesAsInstants() throws {
        let plain = try #require(Timestamp(rfc3339: "2026-04-28T09:00:01Z"))
        #expect(Timestamp(rfc3339: "2026-04-28T09:00:01.000000000Z") == plain)
        #expect(Timestamp(rfc3339: "2026-04-28t09:00:01z") == plain)
        #expect(Timestamp(rfc3339: "2026-04-28T11:30:01+02:30") == plain)
        #expect(Timestamp(rfc3339: "2026-04-27T23:00:01-10:00") == plain)
        let later = try #require(Timestamp(rfc3339: "2026-04-28T09:00:01.000000001Z"))
        #expect(plain < later)
        // As strings these sort the other way round.
        #expect("2026-04-28T09:00:01.5Z" < "2026-04-28T09:00:01Z")
        #expect(Timestamp(rfc3339: "2026-04-28T09:00:01Z")! < Timestamp(rfc3339: "2026-04-28T09:00:01.5Z")!)
    }

    @Test func rejectsImpossibleDatesAndForms() {
        for bad in [
            "2026-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-04-31T00:00:00Z", "2026-04-28T24:00:00Z",
            "2026-04-28T23:60:00Z", "2026-04-28T23:59:60Z", "2026-04-28 09:00:01Z", "2026-04-28T09:00:01",
            "2026-04-28T09:00:01+0200", "26-04-28T09:00:01Z", "2026-04-28T09:00:01Z ", "", "2026-04-28T9:00:01Z",
        ] {
            #expect(Timestamp(rfc3339: bad) == nil, "\(bad)")
        }
        #expect(Timestamp(rfc3339: "2024-02-29T00:00:00Z") != nil)
        #expect(Timestamp(rfc3339: "2000-02-29T00:00:00Z") != nil)
        #expect(Timestamp(rfc3339: "1900-02-29T00:00:00Z") == nil)
    }

    @Test func printsCanonicalUTC() {
        #expect(Timestamp(rfc3339: "2026-04-28T11:30:01.120+02:30")?.description == "2026-04-28T09:00:01.12Z")
        #expect(Timestamp(rfc3339: "1969-12-31T23:59:59.999999999Z")?.description == "1969-12-31T23:59:59.999999999Z")
        #expect(Timestamp(seconds: 0).description == "1970-01-01T00:00:00Z")
        #expect(Timestamp(rfc3339: "0001-01-01T00:00:00Z")?.description == "0001-01-01T00:00:00Z")
        #expect(Timestamp(rfc3339: "9999-12-31T23:59:59Z")?.description == "9999-12-31T23:59:59Z")
    }

    @Test func normalizesNanosecondOverflow() {
        let ts = Timestamp(seconds: 10, nanoseconds: -1)
        #expect(ts.seconds == 9 && ts.nanoseconds == 999_999_999)
    }
}
