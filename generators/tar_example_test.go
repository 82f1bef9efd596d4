package generators_test

import (
	"fmt"

	"github.com/hiddendim/hiddendim/generators"
)

// The tar member of each file a sample's record names: the key, the id,
// ends at the first dot, as WebDataset and Hugging Face datasets read it.
func ExampleTarMember() {
	fmt.Println(generators.TarMember("000123", "image", "images/000123.png"))
	fmt.Println(generators.TarMember("000123", "mask", "masks/000123.png"))
	fmt.Println(generators.TarMember("000123", "html", "html/000123.html"))
	fmt.Println(generators.TarMember("000123", "parts", "parts/000123_0.png"))
	fmt.Println(generators.TarShardName(2))
	// Output:
	// 000123.png
	// 000123.mask.png
	// 000123.html
	// 000123.parts.0.png
	// shard-000002.tar
}
