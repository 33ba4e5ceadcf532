@testable import Drivers
@testable import Vehicles
@testable import Documents
import Testing

struct FormatTests {
    @Test(arguments: [("sw1a1aa", "SW1A 1AA"), ("E1 6AN", "E1 6AN"), (" m1  1ae ", "M1 1AE"), ("B33 8TH", "B33 8TH"),
                      ("CR2 6XH", "CR2 6XH"), ("DN55 1PT", "DN55 1PT")])
    func postcodes(input: String, normalised: String) { #expect(UKFormats.postcode(input) == normalised) }

    /// GIR 0AA was accepted here and then refused by the database's CHECK: a 500 at sign-up.
    @Test(arguments: ["", "E1", "123 456", "EEE1 1AA", "E1 6A", "E1 AAN", "SW1A 1A A1", "gir0aa", "S W1A 1AA"])
    func badPostcodes(input: String) { #expect(UKFormats.postcode(input) == nil) }

    @Test func phones() {
        #expect(UKFormats.phone("07700 900123") == "+447700900123")
        #expect(UKFormats.phone("+44 (0)7700-900123") == "+447700900123")
        #expect(UKFormats.phone("0044 20 7946 0958") == "+442079460958")
        #expect(UKFormats.phone("7700900123") == nil)
        #expect(UKFormats.phone("+33 6 12 34 56 78") == nil)
        #expect(UKFormats.phone("0770090012x") == nil)
    }

    @Test func licences() {
        #expect(UKFormats.dvlaLicence("morga 657054 sm9ij") == "MORGA657054SM9IJ")
        #expect(UKFormats.dvlaLicence("MORGA657054SM9I") == nil)
        #expect(UKFormats.dvlaLicence("M0RGA657054SM9IJ") == nil)
        #expect(UKFormats.foreignLicence("AB-123-45") == "AB12345")
    }

    @Test func emails() {
        #expect(UKFormats.email(" Someone@Example.CO.UK ") == "someone@example.co.uk")
        #expect(UKFormats.email("a@b") == nil)
        #expect(UKFormats.email("two@@example.com") == nil)
        #expect(UKFormats.email("spa ce@example.com") == nil)
    }

    @Test func registrations() {
        #expect(Vehicle.normalizedRegistration("ab12 cde") == "AB12CDE")
        #expect(Vehicle.normalizedRegistration("A1") == "A1")
        #expect(Vehicle.normalizedRegistration("ABCDEFGHI") == nil)
        #expect(Vehicle.normalizedRegistration("12345") == nil)
        #expect(Vehicle.normalizedRegistration("AB12 CD€") == nil)
    }
}

struct PDFTextTests {
    @Test func pdfStringsAreEscaped() {
        #expect(PDFWriter.escape("a (b) \\ c") == "a \\(b\\) \\\\ c")
        #expect(PDFWriter.escape("£10") == "\\24310")
        #expect(PDFWriter.escape("Zoë 🚗") == "Zo\\353 ?")
        #expect(PDFWriter.wrap("one two three four", width: 9) == ["one two", "three", "four"])
    }
}
