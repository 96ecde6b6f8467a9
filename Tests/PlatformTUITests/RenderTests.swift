import EdgeSyncModels
import Testing

@testable import EdgeSyncConsole

@Suite("Rendering into the cell grid")
struct RenderTests {
    @Test func widthsOfWideAndCombiningCharacters() {
        #expect(
            TextWidth.of("abc") == 3 && TextWidth.of("東京") == 4 && TextWidth.of("cafe\u{301}") == 4
                && TextWidth.of("🙂") == 2
        )
        #expect(TextWidth.truncate("order_events", to: 6) == "order…" && TextWidth.truncate("東京東京", to: 5) == "東京…")
        #expect(TextWidth.pad("42", to: 5, alignRight: true) == "   42" && TextWidth.pad("東", to: 3) == "東 ")
    }

    @Test func gridKeepsColumnsAlignedAndStyles() {
        var grid = CellGrid(width: 10, height: 2)
        #expect(grid.put("東京x", x: 1, y: 0, style: .ok) == 5)
        #expect(grid[1, 0].text == "東" && grid[2, 0].text == "" && grid[5, 0].text == "x" && grid[5, 0].style == .ok)
        grid.put("cafe\u{301}!", x: 0, y: 1)
        #expect(grid.lines == [" 東京x", "café!"])
        #expect(grid.put("overflowing text", x: 6, y: 1) == 4 && grid.lines[1] == "café! ove…")
    }

    @Test func tableShrinksTextColumnsNeverNumbersAndScrollsSideways() {
        let table = TableView(
            columns: [
                TableView.Column("NAME", min: 4, max: 30), TableView.Column("COUNT", min: 3, max: 12, alignRight: true),
            ],
            rows: [["a-rather-long-device-name", "1,204,331"], ["b", "7"]]
        )
        #expect(table.widths(available: 40) == [25, 9])
        #expect(table.widths(available: 16) == [6, 9])
        var grid = CellGrid(width: 16, height: 3)
        var selected = table
        selected.selected = 1
        selected.draw(into: &grid, x: 0, y: 0, width: 16, height: 3)
        #expect(grid.lines == ["NAME       COUNT", "a-rat… 1,204,331", "b              7"])
        #expect(grid[0, 2].style.reverse && !grid[0, 1].style.reverse)
        var scrolled = table
        scrolled.firstColumn = 1
        #expect(scrolled.columnsShown(widths: table.widths(available: 10), width: 10) == [1])
    }
}

@Suite("Confirm dialogs")
struct ConfirmDialogTests {
    @Test func enterNeverConfirmsAndADeleteNeedsTheName() {
        var dialog = ConfirmDialog(
            title: "Delete lineage pump-7/device_state",
            effect: "Deletes its cloud state.",
            field: .mustType("device_state")
        )
        #expect(dialog.handle(.character("y")) == .none && dialog.text == "y", "y is text until the field is done")
        #expect(dialog.handle(.enter) == .none && !dialog.armed, "the wrong name does not arm it")
        _ = dialog.handle(.backspace)
        for character in "device_state" { _ = dialog.handle(.character(character)) }
        #expect(dialog.handle(.enter) == .none && dialog.armed)
        #expect(dialog.handle(.enter) == .none, "a bare Enter never confirms")
        #expect(dialog.handle(.character("y")) == .confirm)
        var plain = ConfirmDialog(title: "Reset", effect: "Clears the counter.")
        #expect(plain.armed && plain.handle(.escape) == .cancel)
    }
}

@Suite("Write-back form")
struct WriteBackFormTests {
    @Test func keysAndValuesBecomeOneRow() {
        var form = WriteBackForm(
            table: "device_state",
            bindings: [
                ColumnAction(sourceColumnName: "id", action: .mirror),
                ColumnAction(sourceColumnName: "mode", action: .mirror),
                ColumnAction(sourceColumnName: "raw", action: .ignore),
                ColumnAction(sourceColumnName: "level", action: .mirror),
            ],
            keyColumns: ["id"]
        )
        #expect(form.fields.map(\.column) == ["id", "mode", "level"])
        #expect(form.handle(.enter) == .none && form.focus == 1 && form.problem != nil)
        for character in "\"eco\"" { _ = form.handle(.character(character)) }
        _ = form.handle(.enter)
        _ = form.handle(.enter)
        #expect(!form.armed, "the key is still empty")
        form.focus = 0
        _ = form.handle(.character("7"))
        form.focus = 2
        _ = form.handle(.enter)
        #expect(form.armed && form.handle(.character("y")) == .send)
        #expect(form.row == StateWriteRequest.Row(pk: ["id": .integer(7)], values: ["mode": .string("eco")]))
    }

    /// A box or text whose edge cuts a wide character in half leaves a blank there, never half a
    /// glyph that the terminal would draw over the new text.
    @Test func overwritingHalfAWideCharacterLeavesABlank() {
        var grid = CellGrid(width: 8, height: 2)
        grid.put("a東京b", x: 0, y: 0)
        grid.fill(x: 2, y: 0, width: 2, height: 1, style: .plain)
        #expect(grid.lines[0] == "a    b")
        grid.put("東京", x: 0, y: 1)
        grid.put("x", x: 1, y: 1)
        grid.put("y", x: 2, y: 1)
        #expect(grid.lines[1] == " xy")
        #expect(grid.lines.allSatisfy { TextWidth.of($0) <= 8 })
    }

    @Test func textWrapsBetweenWords() {
        #expect(
            TextWidth.wrap("Nothing is lost: the rows stay staged", width: 16) == [
                "Nothing is lost:", "the rows stay", "staged",
            ]
        )
    }
}
