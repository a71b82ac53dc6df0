// SPDX-License-Identifier: MIT
// contracts.sol - the contracts make-chain.js deploys on anvil to give
// chainsleuth's `ingest evm --rpc` every kind of value movement it books:
// ERC-20 Transfer logs, WETH-style Deposit/Withdrawal, internal CALLs with
// value at depth 1 and 2, CREATE with value, SELFDESTRUCT with value, and
// inner frames that revert under an outer call that succeeds.
pragma solidity 0.8.26;

// A plain ERC-20: transfer, approve, transferFrom; minted once to the deployer.
contract Pebble {
    string public constant name = "Pebble";
    string public constant symbol = "PBL";
    uint8 public constant decimals = 18;
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    constructor(uint256 supply) {
        totalSupply = supply;
        balanceOf[msg.sender] = supply;
        emit Transfer(address(0), msg.sender, supply);
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        _move(msg.sender, to, amount);
        return true;
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
        return true;
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        require(allowed >= amount, "Pebble: allowance");
        allowance[from][msg.sender] = allowed - amount;
        _move(from, to, amount);
        return true;
    }

    function _move(address from, address to, uint256 amount) private {
        require(balanceOf[from] >= amount, "Pebble: balance");
        unchecked {
            balanceOf[from] -= amount;
        }
        balanceOf[to] += amount;
        emit Transfer(from, to, amount);
    }
}

// WETH9-style wrapper: deposit() takes ETH and credits the sender, withdraw()
// pays it back with an inner CALL. Events as WETH9's (no Transfer events).
contract Wrapped {
    mapping(address => uint256) public balanceOf;

    event Deposit(address indexed dst, uint256 wad);
    event Withdrawal(address indexed src, uint256 wad);

    receive() external payable {
        deposit();
    }

    function deposit() public payable {
        balanceOf[msg.sender] += msg.value;
        emit Deposit(msg.sender, msg.value);
    }

    function withdraw(uint256 wad) external {
        require(balanceOf[msg.sender] >= wad, "Wrapped: balance");
        balanceOf[msg.sender] -= wad;
        (bool ok, ) = payable(msg.sender).call{value: wad}("");
        require(ok, "Wrapped: send");
        emit Withdrawal(msg.sender, wad);
    }
}

// One hop of a payment route: passes what it gets on to `to`. fail() does the
// same and then reverts, so its value transfers must not count.
contract Hop {
    function pass(address payable to) external payable {
        (bool ok, ) = to.call{value: msg.value}("");
        require(ok, "Hop: send");
    }

    function fail(address payable to) external payable {
        (bool ok, ) = to.call{value: msg.value}("");
        require(ok, "Hop: send");
        revert("Hop: refused after sending");
    }
}

// Routes payments through a Hop (Router -> Hop -> payee: CALLs at depth 1 and 2),
// keeping `fee` wei per payee.
contract Router {
    Hop public immutable hop;
    uint256 public constant fee = 1000;

    constructor(Hop h) {
        hop = h;
    }

    function pay(address payable[] calldata payees) external payable {
        require(payees.length > 0, "Router: no payees");
        uint256 each = msg.value / payees.length - fee;
        for (uint256 i = 0; i < payees.length; i++) hop.pass{value: each}(payees[i]);
    }

    // The outer call succeeds; the inner one reverts (try/catch), and so does
    // a low-level call to a Hop that refuses: the router keeps the value.
    function tryPay(address payable payee) external payable returns (bool viaTry, bool viaCall) {
        uint256 half = msg.value / 2;
        try hop.fail{value: half}(payee) {
            viaTry = true;
        } catch {
            viaTry = false;
        }
        (viaCall, ) = address(hop).call{value: msg.value - half}(
            abi.encodeCall(Hop.fail, (payee))
        );
    }

    // A payable function that always reverts: a failed tx that carries value.
    function refuse() external payable {
        revert("Router: refused");
    }
}

// Holds ETH for an owner; smash() selfdestructs to the owner (under EIP-6780 the
// contract stays but its balance moves). With `now_` it selfdestructs in its
// constructor, so creation and selfdestruct happen in one transaction.
contract Piggy {
    address payable public owner;

    constructor(address payable owner_, bool now_) payable {
        owner = owner_;
        if (now_) selfdestruct(owner_);
    }

    receive() external payable {}

    function smash() external {
        require(msg.sender == owner, "Piggy: owner");
        selfdestruct(owner);
    }
}

// Creates Piggies with value from inside a call (an inner CREATE with value).
contract Factory {
    event Spawned(address piggy, uint256 value);

    function spawn(address payable owner, bool now_) external payable returns (address p) {
        p = address(new Piggy{value: msg.value}(owner, now_));
        emit Spawned(p, msg.value);
    }
}

// A minimal ERC-1155 (no receiver hooks): fungible amounts per token id, moved
// by TransferSingle and TransferBatch events; mint() is open, for the test.
contract Gem {
    string public constant name = "Gem";
    mapping(uint256 => mapping(address => uint256)) public balanceOf_;

    event TransferSingle(address indexed operator, address indexed from, address indexed to, uint256 id, uint256 value);
    event TransferBatch(address indexed operator, address indexed from, address indexed to, uint256[] ids, uint256[] values);

    function balanceOf(address account, uint256 id) external view returns (uint256) {
        return balanceOf_[id][account];
    }

    function mint(address to, uint256 id, uint256 amount) external {
        balanceOf_[id][to] += amount;
        emit TransferSingle(msg.sender, address(0), to, id, amount);
    }

    function safeTransferFrom(address from, address to, uint256 id, uint256 amount, bytes calldata) external {
        require(from == msg.sender, "not owner");
        balanceOf_[id][from] -= amount;
        balanceOf_[id][to] += amount;
        emit TransferSingle(msg.sender, from, to, id, amount);
    }

    function safeBatchTransferFrom(address from, address to, uint256[] calldata ids, uint256[] calldata amounts, bytes calldata) external {
        require(from == msg.sender && ids.length == amounts.length, "bad batch");
        for (uint256 i = 0; i < ids.length; i++) {
            balanceOf_[ids[i]][from] -= amounts[i];
            balanceOf_[ids[i]][to] += amounts[i];
        }
        emit TransferBatch(msg.sender, from, to, ids, amounts);
    }
}

// ---- the heist (make-chain.js --heist): a pool, a THORChain-style router, a mixer ----

// A constant-product pool of one ERC-20 against ETH (x * y = k, 0.3% fee kept in
// the pool). addLiquidity() takes the ETH sent and pulls the tokens by transferFrom;
// swapTokenForEth() pulls the tokens the same way and pays the ETH out with an
// inner CALL, emitting Swap with the amounts actually moved.
contract Pool {
    Pebble public immutable token;
    uint256 public reserveToken;
    uint256 public reserveEth;

    event Liquidity(address indexed provider, uint256 tokenAmount, uint256 ethAmount);
    event Swap(address indexed trader, uint256 tokenIn, uint256 ethOut);

    constructor(Pebble t) {
        token = t;
    }

    function addLiquidity(uint256 tokenAmount) external payable {
        require(tokenAmount > 0 && msg.value > 0, "Pool: empty");
        require(token.transferFrom(msg.sender, address(this), tokenAmount), "Pool: pull");
        reserveToken += tokenAmount;
        reserveEth += msg.value;
        emit Liquidity(msg.sender, tokenAmount, msg.value);
    }

    // what amountIn tokens buy now, after the 0.3% fee
    function quote(uint256 amountIn) public view returns (uint256) {
        uint256 inWithFee = amountIn * 997;
        return (inWithFee * reserveEth) / (reserveToken * 1000 + inWithFee);
    }

    function swapTokenForEth(uint256 amountIn, uint256 minOut) external returns (uint256 out) {
        require(amountIn > 0, "Pool: nothing in");
        out = quote(amountIn);
        require(out >= minOut, "Pool: slippage");
        require(token.transferFrom(msg.sender, address(this), amountIn), "Pool: pull");
        reserveToken += amountIn;
        reserveEth -= out;
        (bool ok, ) = payable(msg.sender).call{value: out}("");
        require(ok, "Pool: send");
        emit Swap(msg.sender, amountIn, out);
    }
}

// A THORChain-style router (ETH only): depositWithExpiry forwards the value to the
// vault in an inner CALL and emits Deposit with the memo naming the destination.
contract TcRouter {
    event Deposit(address indexed to, address indexed asset, uint256 amount, string memo);

    function depositWithExpiry(address payable vault, address asset, uint256 amount, string calldata memo,
                               uint256 expiry) external payable {
        require(block.timestamp < expiry, "TcRouter: expired");
        require(asset == address(0) && amount == msg.value, "TcRouter: ETH only, amount = value");
        (bool ok, ) = vault.call{value: msg.value}("");
        require(ok, "TcRouter: vault send");
        emit Deposit(vault, asset, msg.value, memo);
    }
}

// A fixed-denomination mixer (1 ether a note). deposit() records a commitment;
// withdraw() is called by the owner acting as relayer (no proofs here: the
// test only needs the value flows and the events of the real thing).
contract Mixer {
    uint256 public constant denomination = 1 ether;
    address public immutable owner;
    uint32 public nextIndex;
    mapping(bytes32 => bool) public commitments;
    mapping(bytes32 => bool) public nullifierHashes;

    event Deposit(bytes32 indexed commitment, uint32 leafIndex, uint256 timestamp);
    event Withdrawal(address to, bytes32 nullifierHash, address indexed relayer, uint256 fee);

    constructor() {
        owner = msg.sender;
    }

    function deposit(bytes32 commitment) external payable {
        require(msg.value == denomination, "Mixer: 1 ether exactly");
        require(!commitments[commitment], "Mixer: commitment used");
        commitments[commitment] = true;
        emit Deposit(commitment, nextIndex, block.timestamp);
        nextIndex++;
    }

    function withdraw(address payable to, bytes32 nullifier) external {
        require(msg.sender == owner, "Mixer: relayer only");
        require(!nullifierHashes[nullifier], "Mixer: note spent");
        nullifierHashes[nullifier] = true;
        (bool ok, ) = to.call{value: denomination}("");
        require(ok, "Mixer: send");
        emit Withdrawal(to, nullifier, msg.sender, 0);
    }
}
