import AdminUI
import AppKernel
import Audit
import Foundation

/// Internal notes on a driver (OPS.md: `add_note` on a driver's page, shown in driver 360 for
/// staff only): what one member of staff wants the next to know.
extension AdminAdmin {
    var addNote: AdminAction {
        AdminAction("add_note", title: "Add an internal note", permission: .notes, plan: { request in
            let driverID = try request.objectID()
            guard try await AdminStore(database: app.database).driverExists(driverID) else { throw AppError.notFound("no such driver") }
            guard let text = request.form["text"], text.count <= 5000 else { throw AppError.invalid("write the note (5,000 characters at most)") }
            return AdminActionPlan(
                objectType: "driver", objectID: driverID.uuidString.lowercased(), driverID: driverID,
                effect: "Add an internal note to this driver (staff only; the driver never sees it): “\(text)”",
                parameters: .object(["driver_id": .string(driverID.uuidString.lowercased()), "text": .string(text)]),
                returnPath: "/admin/drivers/\(driverID.uuidString.lowercased())#notes")
        }, execute: { execution in
            let driverID = try execution.uuid("driver_id"), text = try execution.string("text")
            try await AdminStore(database: execution.transaction).insertNote(driverID: driverID, text: text, authorID: execution.maker, at: execution.now)
            try await Audit.record("admin.note_added", AuditObject("driver", driverID, driver: driverID), after: .object(["text": .string(text)]),
                                   on: execution.transaction)
            return AdminActionOutcome("Note added.", path: "/admin/drivers/\(driverID.uuidString.lowercased())#notes")
        })
    }

    /// Driver 360's Notes section (OPS.md order: 110, before History).
    func notesPanel(_ driverID: UUID, _ request: AdminRequest) async throws -> AdminPanel {
        let notes = try await AdminStore(database: app.database).notes(driverID: driverID, limit: 20)
        let table = AdminHTML.table(["When", "Who", "Note"], notes.map {
            [AdminFormat.time($0.createdAt), "\($0.author) (\($0.role.replacingOccurrences(of: "_", with: " ")))", "\($0.text)"]
        }, empty: "No notes.")
        let form = AdminHTML.startForm(request, addNote, object: driverID.uuidString.lowercased(), fields: """
            <label>Note <textarea name="text" rows="3" maxlength="5000" required></textarea></label>
            """, submit: "Add note")
        return AdminPanel(order: 110, AdminHTML.section("Internal notes", id: "notes", table + form))
    }
}
