import AppKernel
public import Foundation

/// What a certificate of motor insurance states (the Road Traffic Act 1988 requires one for
/// every policy; the wording follows the usual UK form).
public struct CertificateDetails: Sendable {
    public let policyNumber: String
    public let insuredName: String
    public let licenceNumber: String
    public let vehicleRegistration: String
    public let vehicleDescription: String
    /// `payg` or `hourly`.
    public let product: String
    /// `food_delivery`, `parcel_delivery` or `ride_hail`.
    public let usage: String
    public let periodStart: Date
    public let periodEnd: Date?
    public let issuedAt: Date
    /// Set on the certificate re-issued after a cancellation: cover ended then (or, when it
    /// is before `periodStart`, never began).
    public let cancelledAt: Date?
    /// Ops deactivated the policy at `cancelledAt` (rather than it being cancelled): the
    /// certificate says DEACTIVATED; cover ended then all the same.
    public let deactivated: Bool

    public init(policyNumber: String, insuredName: String, licenceNumber: String, vehicleRegistration: String,
                vehicleDescription: String, product: String, usage: String, periodStart: Date, periodEnd: Date?, issuedAt: Date,
                cancelledAt: Date? = nil, deactivated: Bool = false) {
        self.policyNumber = policyNumber
        self.insuredName = insuredName
        self.licenceNumber = licenceNumber
        self.vehicleRegistration = vehicleRegistration
        self.vehicleDescription = vehicleDescription
        self.product = product
        self.usage = usage
        self.periodStart = periodStart
        self.periodEnd = periodEnd
        self.issuedAt = issuedAt
        self.cancelledAt = cancelledAt
        self.deactivated = deactivated && cancelledAt != nil
    }

    /// How the certificate names the end of cover.
    var endWord: String { deactivated ? "DEACTIVATED" : "CANCELLED" }
}

/// Renders the printable HTML certificate.
enum CertificateRenderer {
    static let insurer = "Hourglass Insurance Ltd"

    static func classOfUse(_ usage: String) -> String {
        let purpose = switch usage {
        case "food_delivery": "the delivery of food and drink for hire or reward"
        case "parcel_delivery": "the carriage of goods and parcels for hire or reward"
        default: "the carriage of passengers for hire or reward under a private hire licence"
        }
        return "Use for social, domestic and pleasure purposes and for \(purpose) while working for a work provider. "
            + "Excludes racing, competitions, rallies and trials."
    }

    static func period(_ details: CertificateDetails) -> String {
        let start = RFC3339.format(details.periodStart)
        if let cancelled = details.cancelledAt {
            if cancelled <= details.periodStart {
                return "\(details.endWord) at \(RFC3339.format(cancelled)) (UTC), before cover began: this policy never provided cover"
            }
            let scope = details.periodEnd == nil ? ", only during cover sessions recorded by the insurer" : ""
            return "\(details.endWord): cover was in force from \(start) until \(RFC3339.format(cancelled)) (UTC)\(scope), and not after"
        }
        if let end = details.periodEnd { return "From \(start) to \(RFC3339.format(end)) (UTC)" }
        return "From \(start) (UTC), pay-as-you-go: cover is in force only during cover sessions recorded by the insurer"
    }

    /// The same certificate as a printable PDF.
    static func renderPDF(_ details: CertificateDetails) -> [UInt8] {
        var lines: [PDFWriter.Line] = [PDFWriter.Line(text: "Certificate of Motor Insurance", bold: true, size: 16)]
        if let cancelled = details.cancelledAt {
            lines.append(PDFWriter.Line(text: "\(details.endWord) \(RFC3339.format(cancelled)): NOT VALID FOR ANY LATER TIME", bold: true, size: 12))
        }
        let fields = [
            ("Certificate and policy number", details.policyNumber),
            ("Policyholder and insured driver", "\(details.insuredName) (driving licence \(details.licenceNumber))"),
            ("Vehicle registration mark", details.vehicleRegistration),
            ("Vehicle", details.vehicleDescription),
            ("Persons entitled to drive", "The policyholder only, holding a licence to drive the vehicle."),
            ("Limitations as to use", classOfUse(details.usage)),
            ("Period of insurance", period(details)),
            ("Insurer", insurer),
            ("Issued", RFC3339.format(details.issuedAt)),
        ]
        for (label, value) in fields {
            lines.append(PDFWriter.Line(text: label, bold: true))
            lines += PDFWriter.wrap(value).map { PDFWriter.Line(text: $0) }
        }
        let legal = "I hereby certify that the policy to which this certificate relates satisfies the requirements of the relevant "
            + "law applicable in Great Britain, Northern Ireland, the Isle of Man, the Island of Guernsey, the Island of Jersey "
            + "and the Island of Alderney. Authorised insurer: \(insurer). Keep this certificate: the police may ask to see it."
        lines.append(PDFWriter.Line(text: " "))
        lines += PDFWriter.wrap(legal, width: 105).map { PDFWriter.Line(text: $0, size: 9) }
        return PDFWriter.render(lines)
    }

    /// A cancelled policy's certificate says so before anything else.
    static func cancellationNotice(_ details: CertificateDetails) -> HTML {
        guard let cancelled = details.cancelledAt else { return "" }
        return """
            <p style="border:3px solid #a00;color:#a00;padding:.75rem;font-weight:bold">\(details.endWord) at \(RFC3339.format(cancelled)) (UTC).
            This certificate is not valid for any time after the \(details.deactivated ? "deactivation" : "cancellation").</p>
            """
    }

    static func render(_ details: CertificateDetails) -> HTML {
        """
        <!DOCTYPE html>
        <html lang="en-GB">
        <head>
        <meta charset="utf-8">
        <title>Certificate of Motor Insurance \(details.policyNumber)</title>
        <style>
        body { font-family: Georgia, serif; max-width: 46rem; margin: 2rem auto; color: #111; }
        h1 { font-size: 1.5rem; border-bottom: 2px solid #111; padding-bottom: .5rem; }
        dl { display: grid; grid-template-columns: 16rem 1fr; gap: .5rem 1rem; }
        dt { font-weight: bold; } .legal { font-size: .9rem; margin-top: 2rem; }
        @media print { body { margin: 0; } }
        </style>
        </head>
        <body>
        <h1>Certificate of Motor Insurance</h1>
        \(cancellationNotice(details))
        <dl>
        <dt>Certificate and policy number</dt><dd>\(details.policyNumber)</dd>
        <dt>Policyholder and insured driver</dt><dd>\(details.insuredName) (driving licence \(details.licenceNumber))</dd>
        <dt>Vehicle registration mark</dt><dd>\(details.vehicleRegistration)</dd>
        <dt>Vehicle</dt><dd>\(details.vehicleDescription)</dd>
        <dt>Persons entitled to drive</dt><dd>The policyholder only, holding a licence to drive the vehicle.</dd>
        <dt>Limitations as to use</dt><dd>\(classOfUse(details.usage))</dd>
        <dt>Period of insurance</dt><dd>\(period(details))</dd>
        <dt>Insurer</dt><dd>\(insurer)</dd>
        <dt>Issued</dt><dd>\(RFC3339.format(details.issuedAt))</dd>
        </dl>
        <p class="legal">I hereby certify that the policy to which this certificate relates satisfies the requirements
        of the relevant law applicable in Great Britain, Northern Ireland, the Isle of Man, the Island of Guernsey,
        the Island of Jersey and the Island of Alderney.</p>
        <p class="legal">Authorised insurer: \(insurer). Keep this certificate: the police may ask to see it.</p>
        </body>
        </html>
        """
    }
}
