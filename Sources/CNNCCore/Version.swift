public enum CNNCVersion {
    public static let string = "0.1.0"
}
