/// The product version every executable reports.
public enum EdgeSyncVersion {
    public static let string = "0.1.0"
}
