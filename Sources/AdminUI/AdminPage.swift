public import AppKernel
public import Foundation
public import HTTPServer

/// One admin page or form target, declared once: served, permission-checked (GET and POST
/// alike), CSRF- and Origin-checked (POST), and listed in the role table test.
public struct AdminPage: Sendable {
    public typealias Handler = @Sendable (AdminRequest) async throws -> AdminResponse

    public enum Audience: Sendable {
        /// A signed-in member of staff (second factor passed) with `permission`.
        case staff(AdminPermission)
        /// A session that has passed the password but not yet the second factor (the MFA page).
        case pendingSecondFactor
        /// Any session, second factor passed or not (signing out).
        case anySession
        /// Nobody signed in (the login and password-setup pages).
        case signedOut
    }

    public let method: HTTPMethod
    public let path: String
    public let audience: Audience
    /// A POST that needs a TOTP code entered in the last 10 minutes (OPS.md "sudo mode").
    public let needsSudo: Bool
    /// A POST that takes a file: `multipart/form-data` (RFC 7578) up to this many bytes, where
    /// every other admin POST is a URL-encoded form of at most `formBodyLimit`.
    public let uploadLimit: Int?
    public let handler: Handler

    /// The body limit of an ordinary admin form.
    public static let formBodyLimit = 64 * 1024

    public init(_ method: HTTPMethod, _ path: String, _ audience: Audience, needsSudo: Bool = false, uploadLimit: Int? = nil,
                handler: @escaping Handler) {
        precondition(path.hasPrefix("/admin"), "admin pages live under /admin")
        precondition(method == .get || method == .post, "admin pages are GET or POST")
        precondition(uploadLimit == nil || method == .post, "only a POST takes a file")
        self.method = method
        self.path = path
        self.audience = audience
        self.needsSudo = needsSudo
        self.uploadLimit = uploadLimit
        self.handler = handler
    }

    public static func get(_ path: String, _ permission: AdminPermission, handler: @escaping Handler) -> AdminPage {
        AdminPage(.get, path, .staff(permission), handler: handler)
    }

    public static func post(_ path: String, _ permission: AdminPermission, needsSudo: Bool = false, handler: @escaping Handler) -> AdminPage {
        AdminPage(.post, path, .staff(permission), needsSudo: needsSudo, handler: handler)
    }

    /// A POST form that uploads a file (`enctype="multipart/form-data"`), of at most `limit`
    /// bytes in all (and never more than the server's HTTP_MAX_BODY_BYTES). Its plain fields,
    /// the CSRF token among them, arrive in `form`; its files in `files`.
    public static func upload(_ path: String, _ permission: AdminPermission, limit: Int, handler: @escaping Handler) -> AdminPage {
        AdminPage(.post, path, .staff(permission), uploadLimit: limit, handler: handler)
    }

    /// The permission the page needs, if it is for signed-in staff.
    public var permission: AdminPermission? {
        if case .staff(let permission) = audience { return permission }
        return nil
    }
}

/// What a page handler runs with.
public struct AdminRequest: Sendable {
    public let call: Call
    /// The POST body's fields (empty for a GET).
    public let form: FormFields
    /// The query string's fields.
    public let query: FormFields
    /// The files of a `multipart/form-data` POST (pages declared with `upload`).
    public let files: [MultipartFormData.Part]

    public init(call: Call, form: FormFields, query: FormFields, files: [MultipartFormData.Part] = []) {
        self.call = call
        self.form = form
        self.query = query
        self.files = files
    }

    public var context: RequestContext { call.context }
    /// The signed-in member of staff (pages for `.staff` and `.pendingSecondFactor`).
    public var staff: StaffCaller { call.staff }
    /// Real time: staff work on the real clock, whatever test clock a driver is on.
    public var now: Date { call.context.app.clock.now() }
    public var path: String { call.request.path }
    public var app: AppContext { call.context.app }

    /// A UUID path parameter; a malformed one is a 404 page.
    public func id(_ name: String = "id") throws -> UUID { try call.id(name) }
    public func parameter(_ name: String) throws -> String { try call.context.parameter(name) }
}

/// What a page answers.
public enum AdminResponse: Sendable {
    case page(AdminView)
    /// 303 See Other to a path of ours (after a POST, or an exact search match).
    case redirect(String)
    /// A CSV download (the export is audited by whoever builds it).
    case csv(filename: String, text: String)
    /// Anything else, as is (the stylesheet).
    case raw(HTTPResponse)
}

/// A page's content; the layout adds the chrome (navigation, search, who is signed in).
public struct AdminView: Sendable {
    public var title: String
    public var body: HTML
    /// Where the page sits: (label, path) from the top; the title is the last crumb.
    public var crumbs: [(String, String)]
    /// A strip above the content (a test-clock driver's sandbox banner).
    public var banner: HTML?
    public var status: HTTPStatus
    /// Extra headers (Set-Cookie at login).
    public var headers: [(String, String)]
    /// The bare layout (login, MFA): no navigation or search.
    public var bare: Bool

    public init(title: String, body: HTML, crumbs: [(String, String)] = [], banner: HTML? = nil, status: HTTPStatus = .ok,
                headers: [(String, String)] = [], bare: Bool = false) {
        self.title = title
        self.body = body
        self.crumbs = crumbs
        self.banner = banner
        self.status = status
        self.headers = headers
        self.bare = bare
    }
}
