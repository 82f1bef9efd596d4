package questions_test

import (
	"fmt"

	"github.com/hiddendim/hiddendim/bench/questions"
)

// A question as the models read it: tokens, then ids of the training
// questions' vocabulary, padded to its longest question.
func ExampleVocab_Encode() {
	v := questions.NewVocab([]string{"How many red objects are there?", "Is there a red circle?"})
	fmt.Println(questions.Tokenize("Is there a BLUE circle?"))
	ids, _ := v.Encode(nil, "Is there a BLUE circle?")
	fmt.Println(ids)
	for _, id := range ids {
		fmt.Print(v.Word(id), " ")
	}
	fmt.Println()
	// Output:
	// [is there a blue circle ?]
	// [7 11 3 1 5 2 0]
	// is there a <unk> circle ? <pad>
}
