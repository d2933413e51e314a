using Microsoft.EntityFrameworkCore;
using Platform.Contracts;

namespace Platform.Messaging.Outbox;

/// <summary>
/// EF Core side of the outbox: map the table once in <c>OnModelCreating</c>, add events next to the changes, and
/// <c>SaveChanges</c> writes both in one transaction (and the table's trigger NOTIFYs the relay at commit).
/// </summary>
public static class OutboxEntityFramework
{
    /// <summary>
    /// Maps <see cref="OutboxMessage"/> onto <c>&lt;schema&gt;.outbox</c> exactly as the service's migration creates it
    /// (see <c>docs/adr/005-outbox-relay.md</c>); EF never creates or alters the table.
    /// </summary>
    public static ModelBuilder MapOutbox(this ModelBuilder modelBuilder, string schema)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        OutboxSchema.Validate(schema);
        modelBuilder.Entity<OutboxMessage>(e =>
        {
            e.ToTable("outbox", schema);
            e.HasKey(m => m.Id);
            e.Property(m => m.Id).HasColumnName("id").ValueGeneratedOnAdd();
            e.Property(m => m.MessageId).HasColumnName("message_id");
            e.HasIndex(m => m.MessageId).IsUnique();
            e.Property(m => m.MessageType).HasColumnName("message_type");
            e.Property(m => m.Payload).HasColumnName("payload").HasColumnType("jsonb");
            e.Property(m => m.Headers).HasColumnName("headers").HasColumnType("jsonb");
            // The database stamps the row (transaction start), so every writer agrees on one clock.
            e.Property(m => m.CreatedAt).HasColumnName("created_at").HasDefaultValueSql("now()").ValueGeneratedOnAdd();
            e.Property(m => m.DispatchedAt).HasColumnName("dispatched_at");
            e.Property(m => m.Attempts).HasColumnName("attempts");
            e.Property(m => m.LastError).HasColumnName("last_error");
            e.Property(m => m.NextAttemptAt).HasColumnName("next_attempt_at");
            e.Property(m => m.FailedAt).HasColumnName("failed_at");
        });
        return modelBuilder;
    }

    /// <summary>
    /// Adds <paramref name="event"/> (a contract registered in <see cref="MessageTypes"/>) to the context as a new outbox
    /// row; it is written by the next <c>SaveChanges</c>, in the same transaction as the change it describes.
    /// </summary>
    /// <param name="dbContext">A context whose model called <see cref="MapOutbox"/>.</param>
    /// <param name="event">The event.</param>
    /// <param name="source">The <c>source</c> header; defaults to the entry assembly's name (the service).</param>
    /// <returns>The row, whose <see cref="OutboxMessage.MessageId"/> is the message id consumers will see.</returns>
    public static OutboxMessage AddOutboxMessage(this DbContext dbContext, object @event, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(dbContext);
        var message = OutboxMessage.Create(@event, source ?? OutboxWriter.DefaultSource);
        dbContext.Set<OutboxMessage>().Add(message);
        return message;
    }
}
