using Microsoft.EntityFrameworkCore;
using Platform.Messaging.Outbox;

namespace Catalog.Api.Data;

/// <summary>
/// EF Core over the catalog schema for writes (the SQL migrations own the tables; a test proves this model
/// matches them). Reads that matter are plain SQL in the feature folders.
/// </summary>
public sealed class CatalogDbContext(DbContextOptions<CatalogDbContext> options) : DbContext(options)
{
    public DbSet<Category> Categories => Set<Category>();

    public DbSet<Product> Products => Set<Product>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasDefaultSchema(CatalogCommands.Schema);
        modelBuilder.Entity<Category>(e =>
        {
            e.ToTable("categories");
            e.HasKey(c => c.Id);
            e.Property(c => c.Id).HasColumnName("id").UseIdentityByDefaultColumn();
            e.Property(c => c.Slug).HasColumnName("slug");
            e.HasIndex(c => c.Slug).IsUnique();
            e.Property(c => c.Name).HasColumnName("name");
            e.Property(c => c.Description).HasColumnName("description");
            e.Property(c => c.CreatedAt).HasColumnName("created_at");
            e.Property(c => c.UpdatedAt).HasColumnName("updated_at");
            e.Property(c => c.Version).HasColumnName("version").IsConcurrencyToken();
        });
        modelBuilder.Entity<Product>(e =>
        {
            e.ToTable("products");
            e.HasKey(p => p.Id);
            e.Property(p => p.Id).HasColumnName("id").UseIdentityByDefaultColumn();
            e.Property(p => p.Sku).HasColumnName("sku");
            e.HasIndex(p => p.Sku).IsUnique();
            e.Property(p => p.Name).HasColumnName("name");
            e.Property(p => p.Description).HasColumnName("description");
            e.Property(p => p.CategoryId).HasColumnName("category_id");
            e.Property(p => p.Price).HasColumnName("price").HasColumnType("numeric(12,2)");
            e.Property(p => p.Currency).HasColumnName("currency").HasColumnType("character(3)");
            e.Property(p => p.Status).HasColumnName("status");
            e.Property(p => p.CreatedAt).HasColumnName("created_at");
            e.Property(p => p.UpdatedAt).HasColumnName("updated_at");
            e.Property(p => p.Version).HasColumnName("version").IsConcurrencyToken();
            e.HasOne<Category>().WithMany().HasForeignKey(p => p.CategoryId);
        });
        modelBuilder.MapOutbox(CatalogCommands.Schema);
    }
}

public sealed class Category : IVersionedRow
{
    public long Id { get; set; }

    public required string Slug { get; set; }

    public required string Name { get; set; }

    public string Description { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public int Version { get; set; } = 1;
}

public sealed class Product : IVersionedRow
{
    public long Id { get; set; }

    public required string Sku { get; set; }

    public required string Name { get; set; }

    public string Description { get; set; } = "";

    public long CategoryId { get; set; }

    public decimal Price { get; set; }

    public string Currency { get; set; } = "EUR";

    public string Status { get; set; } = "draft";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public int Version { get; set; } = 1;
}
