import Foundation

/// Proposals the tests start from; each refusal test changes one fact.
public enum Fixtures {
    public static let manifestHash = String(repeating: "ab", count: 32)

    public static func buildStep(target: String = "DOT_C1_VOCAB_BUILD", ttl: Int = 3600,
                                 reason: String = "ticket OPS-1") -> [String: Any] {
        [
            "request_type": "authorize_build_step", "action_code": "authorize_build_step",
            "proposed_action": ["target": target, "manifest_hash": manifestHash, "ttl_seconds": ttl],
            "session_code": "S-C1-ABS-001", "reason": reason,
        ]
    }

    public static func patch(filePath: String, content: String) -> [String: Any] {
        [
            "request_type": "fix_repair_dot", "action_code": "patch_ops_code",
            "proposed_action": [
                "dot_code": "DOT-310", "file_path": filePath, "patch_mode": "full_replace",
                "new_content_base64": Data(content.utf8).base64EncodedString(),
                "session_code": "S-C1-ABS-001", "test_plan": "bash -n passes",
            ],
            "session_code": "S-C1-ABS-001", "reason": "ticket OPS-2",
        ]
    }

    /// One compact JSON line.
    public static func line(_ object: [String: Any]) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }
}
