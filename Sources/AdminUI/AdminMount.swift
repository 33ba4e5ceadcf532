public import AppKernel
import Cryptography
import Logging
public import Foundation
public import HTTPServer

/// Turns admin pages into the application's endpoints, with every check around the handler:
/// the session's second factor, the page's permission (GET and POST alike), for a POST the
/// Origin, the CSRF token and sudo mode; and OPS.md's headers on every answer.
public struct AdminMount: Sendable {
    public let pages: [AdminPage]
    public let shell: AdminShell
    /// Where the admin is reached from (PUBLIC_BASE_URL), for the Origin check.
    public let publicBaseURL: String?

    public init(pages: [AdminPage], shell: AdminShell, publicBaseURL: String?) {
        self.pages = pages
        self.shell = shell
        self.publicBaseURL = publicBaseURL
    }

    /// The pre-session token of the login form (double-submit: cookie and field must match).
    public static let loginCookie = "__Host-hg_login"
    /// Sudo mode lasts this long after a TOTP code (OPS.md: 10 minutes).
    public static let sudoWindow: TimeInterval = 600

    public var endpoints: [Endpoint] {
        pages.map { page in
            let shell = self.shell
            let presenter: ErrorPresenter = { error, request, _ in shell.errorPage(error, path: request.path, staff: nil) }
            let access: Access = switch page.audience {
            case .staff, .pendingSecondFactor, .anySession: .staff
            case .signedOut: .anyone
            }
            let body: RequestBody? = page.method == .post
                ? .bytes(page.uploadLimit == nil ? ["application/x-www-form-urlencoded"] : ["multipart/form-data"]) : nil
            return Endpoint(page.method, page.path, id: "admin", "admin page", tag: "admin", access: access, body: body,
                            bodyLimit: page.uploadLimit ?? AdminPage.formBodyLimit, responses: [], documented: false, presenter: presenter,
                            handler: { call in await self.serve(page, call) })
        }
    }

    func serve(_ page: AdminPage, _ call: Call) async -> HTTPResponse {
        var staff: StaffCaller?
        if case .staff(let caller) = call.context.caller { staff = caller }
        do {
            switch page.audience {
            case .staff(let permission):
                guard let staff else { throw AppError.unauthorized("sign in") }
                guard staff.verifiedAt != nil else { return AdminShell.redirect("/admin/mfa") }
                guard staff.may(permission.rawValue) else {
                    throw AppError(status: .forbidden, slug: "forbidden", detail: "This needs the \(permission) permission, which the \(staff.role) role does not have.")
                }
            case .pendingSecondFactor:
                guard let staff else { throw AppError.unauthorized("sign in") }
                if staff.verifiedAt != nil { return AdminShell.redirect("/admin/") }
            case .anySession:
                guard staff != nil else { throw AppError.unauthorized("sign in") }
            case .signedOut:
                break
            }
            var form = FormFields()
            var files: [MultipartFormData.Part] = []
            if page.method == .post {
                try checkOrigin(call.request)
                if page.uploadLimit != nil {
                    // A file upload: its plain fields (the CSRF token among them) are the form.
                    let contentType = call.request.headers["content-type"] ?? ""
                    guard MultipartFormData.isMultipart(contentType) else {
                        throw AppError(status: .unsupportedMediaType, slug: "unsupported-media-type",
                                       detail: "This form sends a file: it must be sent as multipart/form-data.")
                    }
                    let multipart = try MultipartFormData(contentType: contentType, body: call.request.body)
                    form = FormFields(pairs: multipart.fields)
                    files = multipart.files
                } else {
                    form = FormFields(String(decoding: call.request.body, as: UTF8.self))
                }
                let expected: String? = switch page.audience {
                case .signedOut: Self.cookie(Self.loginCookie, in: call.request)
                default: staff?.csrfToken
                }
                guard let expected, let sent = form.pairs.first(where: { $0.name == "csrf" })?.value,
                      Digest.constantTimeEquals(Array(expected.utf8), Array(sent.utf8)) else {
                    throw AppError(status: .forbidden, slug: "csrf", detail: "This form has expired or did not come from this site. Go back, reload the page and try again.")
                }
                if page.needsSudo, let staff, !Self.inSudo(staff, now: call.context.app.clock.now()) {
                    throw AppError(status: .forbidden, slug: "sudo",
                                   detail: "This action needs your authenticator code from the last 10 minutes: confirm it at /admin/sudo, then try again.")
                }
            }
            let request = AdminRequest(call: call, form: form, query: FormFields(call.request.query ?? ""), files: files)
            return render(try await page.handler(request), staff: staff)
        } catch let error as AppError {
            return shell.errorPage(error, path: call.request.path, staff: staff?.verifiedAt != nil ? staff : nil)
        } catch {
            call.context.logger.error("admin page failed", metadata: ["error": "\(String(reflecting: error))", "http.path": "\(call.request.path)"])
            return shell.errorPage(AppError(status: .internalServerError, slug: "internal-error",
                                            detail: "Something failed on our side (request \(call.requestID))."),
                                   path: call.request.path, staff: staff?.verifiedAt != nil ? staff : nil)
        }
    }

    func render(_ response: AdminResponse, staff: StaffCaller?) -> HTTPResponse {
        switch response {
        case .page(let view): return shell.render(view, staff: staff)
        case .redirect(let location): return AdminShell.redirect(location)
        case .csv(let filename, let text):
            var http = HTTPResponse(status: .ok, contentType: "text/csv; charset=utf-8", body: Array(text.utf8))
            for (name, value) in AdminShell.securityHeaders { http.headers.add(name: name, value: value) }
            http.headers.add(name: "content-disposition", value: "attachment; filename=\"\(filename)\"")
            return http
        case .raw(let http): return http
        }
    }

    /// A POST whose Origin is present and not ours is refused (OPS.md), as is `Origin: null`.
    func checkOrigin(_ request: HTTPRequest) throws {
        guard let origin = request.headers["origin"] else { return }
        let forbidden = AppError(status: .forbidden, slug: "origin", detail: "This form was sent from another site.")
        guard let url = URL(string: origin), let host = url.host else { throw forbidden }
        let authority = url.port.map { "\(host):\($0)" } ?? host
        if let publicBaseURL, let base = URL(string: publicBaseURL), let baseHost = base.host {
            let expected = base.port.map { "\(baseHost):\($0)" } ?? baseHost
            guard authority.lowercased() == expected.lowercased() else { throw forbidden }
        } else {
            guard authority.lowercased() == (request.headers["host"] ?? "").lowercased() else { throw forbidden }
        }
    }

    public static func inSudo(_ staff: StaffCaller, now: Date) -> Bool {
        guard let sudoAt = staff.sudoAt else { return false }
        return now.timeIntervalSince(sudoAt) <= sudoWindow
    }

    /// A cookie's value from the request's `Cookie` header.
    public static func cookie(_ name: String, in request: HTTPRequest) -> String? {
        guard let header = request.headers["cookie"] else { return nil }
        for part in header.split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces) == name { return String(pair[1]).trimmingCharacters(in: .whitespaces) }
        }
        return nil
    }

    /// OPS.md's cookie: host-only, secure, not readable by scripts, never sent cross-site.
    public static func setCookie(_ name: String, _ value: String, maxAge: Int? = nil) -> (String, String) {
        ("set-cookie", "\(name)=\(value); Path=/; Secure; HttpOnly; SameSite=Strict" + (maxAge.map { "; Max-Age=\($0)" } ?? ""))
    }

    public static func clearCookie(_ name: String) -> (String, String) {
        ("set-cookie", "\(name)=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0")
    }
}
