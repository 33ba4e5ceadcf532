public import AppKernel
public import Foundation

/// The building blocks of admin pages. Every interpolated string is escaped (`HTML`); shown
/// values of API fields carry `data-field`, action forms `data-action` (OPS.md's stable hooks).
public enum AdminHTML {
    public static func link(_ path: String, _ text: String) -> HTML { "<a href=\"\(path)\">\(text)</a>" }

    /// A section of an object page, with a link to its full list.
    public static func section(_ title: String, id: String? = nil, more: (String, String)? = nil, _ body: HTML) -> HTML {
        let anchor: HTML = id.map { " id=\"\($0)\"" } ?? ""
        let link: HTML = more.map { " <a class=\"more\" href=\"\($0.1)\">\($0.0)</a>" } ?? ""
        return "<section class=\"card\"\(anchor)><h2>\(title)\(link)</h2>\(body)</section>"
    }

    /// One labelled value. `field`: the API field it shows (`data-field`).
    public struct Field: Sendable {
        public let label: String
        public let field: String?
        public let value: HTML
        public init(_ label: String, field: String? = nil, _ value: HTML) {
            self.label = label
            self.field = field
            self.value = value
        }
        public init(_ label: String, field: String? = nil, text: String) {
            self.init(label, field: field, HTML(stringLiteral: HTML.escape(text)))
        }
    }

    public static func fields(_ fields: [Field]) -> HTML {
        let items = fields.map { field -> HTML in
            let hook: HTML = field.field.map { " data-field=\"\($0)\"" } ?? ""
            return "<dt>\(field.label)</dt><dd\(hook)>\(field.value)</dd>"
        }
        return "<dl class=\"fields\">\(items)</dl>"
    }

    /// A table; `rows` are already HTML cells. `empty` is shown when there are no rows.
    public static func table(_ headers: [String], _ rows: [[HTML]], empty: String = "Nothing here yet.", numeric: Set<Int> = []) -> HTML {
        guard !rows.isEmpty else { return "<p class=\"muted\">\(empty)</p>" }
        let head = headers.enumerated().map { index, title -> HTML in numeric.contains(index) ? "<th class=\"num\">\(title)</th>" : "<th>\(title)</th>" }
        let body = rows.map { row -> HTML in
            let cells = row.enumerated().map { index, cell -> HTML in numeric.contains(index) ? "<td class=\"num\">\(cell)</td>" : "<td>\(cell)</td>" }
            return "<tr>\(cells)</tr>"
        }
        return "<div class=\"scroll\"><table class=\"list\"><thead><tr>\(head)</tr></thead><tbody>\(body)</tbody></table></div>"
    }

    public enum Tone: String, Sendable { case good, warn, bad, info, plain }

    public static func badge(_ text: String, _ tone: Tone = .plain) -> HTML { "<span class=\"badge \(tone.rawValue)\">\(text)</span>" }

    /// A status word as a badge, coloured by what it means.
    public static func status(_ status: String) -> HTML {
        let tone: Tone = switch status {
        case "active", "succeeded", "open", "covered", "completed", "paid", "ok", "submitted", "approved", "bound", "delivered", "done": .good
        case "paused", "pending", "pending_payment", "processing", "requires_action", "scheduled", "waiting", "queued", "running", "in_flight", "quoted", "pending_approval", "planned": .warn
        case "failed", "dead", "declined", "cancelled", "refused", "expired", "revoked", "deactivated", "unbalanced", "error", "rejected": .bad
        default: .plain
        }
        return badge(status.replacingOccurrences(of: "_", with: " "), tone)
    }

    /// "Next page" for a keyset-paginated list, keeping the filters of the query string.
    public static func pager(_ request: AdminRequest, next: String?) -> HTML {
        guard let next else { return "" }
        var pairs = request.query.pairs.filter { $0.name != "cursor" }
        pairs.append(("cursor", next))
        return "<p class=\"pager\"><a rel=\"next\" href=\"\(request.path)?\(queryString(pairs))\">Next page →</a></p>"
    }

    public static func queryString(_ pairs: [(name: String, value: String)]) -> String {
        pairs.map { "\(percentEncode($0.name))=\(percentEncode($0.value))" }.joined(separator: "&")
    }

    public static func percentEncode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// A filter bar: repeatable choices as checkboxes, free text as inputs; a GET form, so the
    /// filters live in the query string and the URL can be shared.
    public struct Filter: Sendable {
        public enum Kind: Sendable { case choices([String]), text(placeholder: String), date }
        public let name: String
        public let label: String
        public let kind: Kind
        public init(_ name: String, _ label: String, _ kind: Kind) {
            self.name = name
            self.label = label
            self.kind = kind
        }
    }

    public static func filters(_ request: AdminRequest, _ filters: [Filter], exportable: Bool = false) -> HTML {
        let controls = filters.map { filter -> HTML in
            switch filter.kind {
            case .choices(let values):
                let chosen = Set(request.query.all(filter.name))
                let boxes = values.map { value -> HTML in
                    let checked: HTML = chosen.contains(value) ? " checked" : ""
                    return "<label class=\"choice\"><input type=\"checkbox\" name=\"\(filter.name)\" value=\"\(value)\"\(checked)> \(value.replacingOccurrences(of: "_", with: " "))</label>"
                }
                return "<fieldset><legend>\(filter.label)</legend>\(boxes)</fieldset>"
            case .text(let placeholder):
                return "<label>\(filter.label) <input type=\"text\" name=\"\(filter.name)\" value=\"\(request.query[filter.name] ?? "")\" placeholder=\"\(placeholder)\"></label>"
            case .date:
                return "<label>\(filter.label) <input type=\"date\" name=\"\(filter.name)\" value=\"\(request.query[filter.name] ?? "")\"></label>"
            }
        }
        let export: HTML = exportable && request.staff.may(AdminPermission.export.rawValue)
            ? " <a class=\"button secondary\" data-action=\"export\" href=\"\(request.path)?\(queryString(request.query.pairs.filter { $0.name != "cursor" } + [("format", "csv")]))\">Export CSV</a>"
            : ""
        return "<form class=\"filters\" method=\"get\" action=\"\(request.path)\">\(controls)<button type=\"submit\">Filter</button> <a href=\"\(request.path)\">Clear</a>\(export)</form>"
    }

    /// A POST form for an action: its hidden `csrf` field and `data-action` hook.
    public static func actionForm(_ request: AdminRequest, action path: String, name: String, fields: HTML = "", submit: String,
                                  danger: Bool = false) -> HTML {
        let style: HTML = danger ? " class=\"danger\"" : ""
        return "<form method=\"post\" action=\"\(path)\" data-action=\"\(name)\" class=\"action\"><input type=\"hidden\" name=\"csrf\" value=\"\(request.staff.csrfToken)\">\(fields)<button type=\"submit\"\(style)>\(submit)</button></form>"
    }

    /// The form on an object's page that starts `action`, shown only to staff who may take it:
    /// the object's id, the action's own fields, the reason code and note (OPS.md's names), and
    /// a button that leads to the confirmation page (nothing happens before that). With
    /// `requiredNote`, the note must be given (the prompt says what it is for).
    public static func startForm(_ request: AdminRequest, _ action: AdminAction, object: String, fields: HTML = "",
                                 submit: String? = nil, danger: Bool = false, requiredNote: String? = nil) -> HTML {
        guard request.staff.may(action.permission.rawValue) else { return "" }
        let reasons = HTML(stringLiteral: AdminReasonCode.allCases.map { "<option value=\"\($0.rawValue)\">\(HTML.escape($0.label))</option>" }.joined())
        let style: HTML = danger ? " class=\"danger\"" : ""
        let note: HTML = requiredNote.map { "placeholder=\"\($0)\" required" } ?? "placeholder=\"Required for Other\""
        return """
            <form method="post" action="\(action.path)" data-action="\(action.name)" class="action stack">\
            <input type="hidden" name="csrf" value="\(request.staff.csrfToken)"><input type="hidden" name="object" value="\(object)">\
            \(fields)<label>Reason <select name="reason" required><option value="">Choose…</option>\(reasons)</select></label>\
            <label>Note <textarea name="note" rows="2" maxlength="1000" \(note)></textarea></label>\
            <button type="submit"\(style)>\(submit ?? action.title)…</button></form>
            """
    }

    /// A notice above the content.
    public static func notice(_ text: String, _ tone: Tone = .info) -> HTML { "<p class=\"notice \(tone.rawValue)\" role=\"status\">\(text)</p>" }

    /// Short id with the full id in its title, linked.
    public static func idLink(_ path: String, _ id: UUID) -> HTML {
        "<a class=\"id\" href=\"\(path)\" title=\"\(id.uuidString.lowercased())\">\(AdminFormat.shortID(id))</a>"
    }

    public static func yesNo(_ value: Bool) -> HTML { value ? badge("yes", .good) : badge("no", .plain) }
}
