import EdgeSyncModels
import Foundation
import Testing

/// A document that does not decode says where and what, in the document's own terms.
@Suite("Decoding problems")
struct DecodingProblemTests {
    static func problem<T: Decodable>(_ type: T.Type, _ json: String) -> String? {
        do {
            _ = try JSONDecoder().decode(type, from: Data(json.utf8))
            return nil
        } catch let error as DecodingError {
            return DecodingProblem(error).description
        } catch {
            return "\(error)"
        }
    }

    @Test func namesThePathAndTheProblem() {
        #expect(
            Self.problem(
                [ColumnAction].self,
                #"[{"source_column_name": "a", "action": "mirror"}, {"source_column_name": "b", "action": "mirrorr"}]"#
            )
                == "[1].action: not an accepted value: mirrorr"
        )
        #expect(Self.problem([ColumnAction].self, #"[{"action": "mirror"}]"#) == "[0].source_column_name: missing")
        #expect(
            Self.problem([ColumnAction].self, #"[{"source_column_name": 5, "action": "mirror"}]"#)
                == "[0].source_column_name: expected a string"
        )
        #expect(
            Self.problem(ApproveReviewRequest.self, #"{"action_version": 1, "column_actions": {}}"#)
                == "column_actions: expected an array"
        )
        #expect(Self.problem([ColumnAction].self, "[{") == "not valid JSON")
    }
}
