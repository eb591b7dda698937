import AprKit
import Foundation
import XCTest

final class ArmRegistryTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("aprkit-arms-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func write(_ name: String, _ text: String, mode: Int = 0o755) throws {
        let url = dir.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: url.path)
    }

    func testTheArmOfAHandlerRef() {
        XCTAssertEqual(ArmRegistry.arm(of: "apr-execute:authorize_build_step"), "authorize_build_step")
        XCTAssertNil(ArmRegistry.arm(of: "dot-apr-execute:authorize_build_step"), "another executor")
        XCTAssertNil(ArmRegistry.arm(of: "apr-execute:../etc/passwd"), "not a file name")
        XCTAssertNil(ArmRegistry.arm(of: "apr-execute:"))
        XCTAssertNil(ArmRegistry.arm(of: "apr-execute:a:b"))
    }

    func testABuiltInArmWinsOverAHandlerFileOfItsName() throws {
        let registry = ArmRegistry(handlersDirectory: dir.path)
        for name in ["authorize_build_step", "patch_ops_code", "register_tool"] {
            try write(name, "#!/bin/bash\ntrue\n")
            guard case .builtIn(let arm) = registry.resolve(handlerRef: "apr-execute:\(name)") else {
                return XCTFail("the built-in \(name) arm, whatever file is there")
            }
            XCTAssertEqual(arm.actionCode, name)
        }
    }

    func testAnExternalArmIsAnExecutableFileNamedAfterIt() throws {
        let registry = ArmRegistry(handlersDirectory: dir.path)
        guard case .unresolved = registry.resolve(arm: "ops_note") else { return XCTFail("no file yet") }
        try write("ops_note", "#!/bin/bash\necho '{}'\n", mode: 0o644)
        guard case .unresolved = registry.resolve(arm: "ops_note") else { return XCTFail("not executable") }
        try write("ops_note", "#!/bin/bash\necho '{}'\n")
        guard case .external(let handler) = registry.resolve(arm: "ops_note") else { return XCTFail("executable now") }
        XCTAssertEqual(handler.path, dir.appendingPathComponent("ops_note").path)
    }

    func testListsOnlyFilesNamedLikeArms() throws {
        try write("ops_note", "#!/bin/bash\n")
        try write("ops_note.bak.1", "#!/bin/bash\n")
        try write("README", "notes\n")
        XCTAssertEqual(ArmRegistry(handlersDirectory: dir.path).externalHandlers().map(\.arm), ["ops_note"])
        XCTAssertEqual(ArmRegistry(handlersDirectory: dir.path + "/missing").externalHandlers().count, 0)
    }

    func testSyntaxChecksShellScriptsByTheirInterpreter() throws {
        try write("good", "#!/usr/bin/env bash\nif true; then echo ok; fi\n")
        try write("bad", "#!/bin/bash\nif then fi\n")
        try write("posix", "#!/bin/sh -e\necho ok\n")
        try write("binary", "\u{7f}ELF not really\n")
        let check = { (name: String) in ExternalHandler(arm: name, path: self.dir.appendingPathComponent(name).path).syntaxCheck() }
        XCTAssertEqual(check("good").command, "bash -n")
        XCTAssertTrue(check("good").passed)
        XCTAssertFalse(check("bad").passed)
        XCTAssertNotNil(check("bad").message)
        XCTAssertEqual(check("posix").command, "sh -n")
        XCTAssertTrue(check("posix").passed)
        XCTAssertNil(check("binary").command, "no syntax check for what is not a shell script")
        XCTAssertTrue(check("binary").passed)
        XCTAssertFalse(check("missing").passed)
    }
}
