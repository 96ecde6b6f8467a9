import EdgeSyncConsole

/// `platform-tui`: everything lives in `EdgeSyncConsole`, where the tests reach it.
@main
enum Entry {
    static func main() async {
        await PlatformTUIMain.main()
    }
}
