package dev.inlet.bench.peer;

import java.io.IOException;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Avro values in the Confluent wire format (magic byte 0, a 4-byte schema id, Avro binary),
 * decoded with one schema given up front. The schema id is not looked up: the benchmark writes
 * every record with the schema this reader is given. Not thread-safe (it reuses its decoder):
 * the app runs one stream thread.
 */
final class ConfluentAvroDeserializer implements Deserializer<GenericRecord> {
  private static final int HEADER_BYTES = 5;

  private final GenericDatumReader<GenericRecord> reader;
  private BinaryDecoder decoder;

  ConfluentAvroDeserializer(Schema schema) {
    this.reader = new GenericDatumReader<>(schema);
  }

  @Override
  public GenericRecord deserialize(String topic, byte[] data) {
    if (data == null) return null;
    if (data.length < HEADER_BYTES || data[0] != 0) {
      throw new SerializationException("a value on " + topic + " is not in the Confluent wire format");
    }
    decoder = DecoderFactory.get().binaryDecoder(data, HEADER_BYTES, data.length - HEADER_BYTES, decoder);
    try {
      return reader.read(null, decoder);
    } catch (IOException | RuntimeException e) {
      throw new SerializationException("a value on " + topic + " is not valid Avro for the schema", e);
    }
  }
}
