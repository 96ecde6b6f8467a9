import NIOCore
import PostgresNIO

/// One column of rows bound as a PostgreSQL array (`text[]`, `int8[]`, `float8[]`, `bytea[]`) in
/// its binary format, NULLs included, for `unnest` to turn back into rows. A value is converted
/// as an INSERT would cast it into a column of that type (an integer into text as its digits,
/// into float8 as a double); a value no such cast takes is refused before anything is sent.
struct PostgresValueArray: PostgresDynamicTypeEncodable {
    let psqlType: PostgresDataType
    let psqlFormat = PostgresFormat.binary
    private let body: ByteBuffer

    init(_ storage: SQLStorageClass, _ values: some Collection<SQLValue>) throws {
        let types = Self.types(storage)
        psqlType = types.array
        var body = ByteBuffer()
        body.reserveCapacity(20 + values.count * 16)
        body.writeInteger(Int32(1))
        let nullFlag = body.writerIndex
        body.writeInteger(Int32(0))
        body.writeInteger(Int32(bitPattern: types.element.rawValue))
        body.writeInteger(Int32(values.count))
        body.writeInteger(Int32(1))
        var hasNull = false
        for value in values {
            if value.isNull {
                hasNull = true
                body.writeInteger(Int32(-1))
            } else {
                try Self.write(value, as: storage, into: &body)
            }
        }
        if hasNull { body.setInteger(Int32(1), at: nullFlag) }
        self.body = body
    }

    /// `text[]`, `int8[]`, …: the cast that types the array's placeholder.
    static func castName(_ storage: SQLStorageClass) -> String { types(storage).cast }

    func encode<JSONEncoder: PostgresJSONEncoder>(
        into byteBuffer: inout ByteBuffer,
        context: PostgresEncodingContext<JSONEncoder>
    ) {
        byteBuffer.writeImmutableBuffer(body)
    }

    /// The array's type, its elements' and the array's name in a cast.
    private static func types(
        _ storage: SQLStorageClass
    ) -> (array: PostgresDataType, element: PostgresDataType, cast: String) {
        switch storage {
        case .text: (.textArray, .text, "text[]")
        case .integer: (.int8Array, .int8, "int8[]")
        case .real: (.float8Array, .float8, "float8[]")
        case .blob: (.byteaArray, .bytea, "bytea[]")
        }
    }

    /// An element: its length, then its bytes.
    private static func write(_ value: SQLValue, as storage: SQLStorageClass, into body: inout ByteBuffer) throws {
        switch (storage, value) {
        case (.text, .text(let text)):
            let lengthAt = body.writerIndex
            body.writeInteger(Int32(0))
            let written = body.writeString(text)
            body.setInteger(Int32(written), at: lengthAt)
        case (.text, .integer(let number)):
            try write(.text(String(number)), as: .text, into: &body)
        case (.integer, .integer(let number)):
            body.writeInteger(Int32(8))
            body.writeInteger(number)
        case (.real, .real(let number)):
            body.writeInteger(Int32(8))
            body.writeInteger(number.bitPattern)
        case (.real, .integer(let number)):
            try write(.real(Double(number)), as: .real, into: &body)
        case (.blob, .blob(let bytes)):
            body.writeInteger(Int32(bytes.count))
            body.writeBytes(bytes)
        default:
            throw StoreError(
                .internal,
                "a \(kind(of: value)) value cannot be bound in an array of \(castName(storage))"
            )
        }
    }

    private static func kind(of value: SQLValue) -> String {
        switch value {
        case .null: "NULL"
        case .integer: "INTEGER"
        case .real: "REAL"
        case .text: "TEXT"
        case .blob: "BLOB"
        }
    }
}
