/// The version both executables report; one place to bump it.
public enum SluiceVersion {
    public static let current = "0.1.0"
}
